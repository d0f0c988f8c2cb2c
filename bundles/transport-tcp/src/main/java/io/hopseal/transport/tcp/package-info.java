/**
 * TCP links between Hopseal nodes: {@link io.hopseal.transport.tcp.TcpTransport}, its settings
 * ({@link io.hopseal.transport.tcp.TcpTransportConfig}) and the sans-I/O framing
 * ({@link io.hopseal.transport.tcp.TcpFraming}, {@link io.hopseal.transport.tcp.FrameDecoder}). Private to the bundle.
 */
package io.hopseal.transport.tcp;
