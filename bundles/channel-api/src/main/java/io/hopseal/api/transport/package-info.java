/**
 * The transport SPI, version 2: what a transport bundle needs and all it may import from Hopseal. The
 * {@link io.hopseal.api.transport.Transport} service, the {@link io.hopseal.api.transport.InboundSink} a router
 * attaches, the routing {@link io.hopseal.api.transport.Envelope} codec, {@link io.hopseal.api.transport.Counters}
 * and {@link io.hopseal.api.transport.InboundPort}. Version 1 was {@code io.hopseal.api.transport.Transport} (routing
 * 1.x), where each transport also held the router. 2.1 adds {@link io.hopseal.api.transport.InboundSink#undeliverable} (route error
 * reports for messages a transport accepted and then could not deliver). 2.2 adds {@link io.hopseal.api.transport.Ingress}
 * and {@link io.hopseal.api.transport.InboundSink#deliver(io.hopseal.api.routing.Message, Ingress)}: where a message came
 * in, with the plain services and forwarding destinations the operator opened there. 2.3 adds pooled send frames:
 * {@link io.hopseal.api.transport.FrameRelease} and {@link io.hopseal.api.transport.Transport#send(io.hopseal.api.routing.Address,
 * io.hopseal.api.routing.Message, io.hopseal.api.transport.FrameRelease)}, whose default never releases. 2.4 adds lent
 * inbound frames: {@link io.hopseal.api.transport.InboundSink#deliver(io.hopseal.api.routing.Message, Ingress, FrameRelease)}
 * and {@link io.hopseal.api.transport.InboundPort#deliver(io.hopseal.api.routing.Message, Ingress, FrameRelease)}, so
 * that a receiver that does not keep the message ({@link io.hopseal.api.routing.BorrowingWorker}) gives the array back.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("2.4.0")
package io.hopseal.api.transport;
