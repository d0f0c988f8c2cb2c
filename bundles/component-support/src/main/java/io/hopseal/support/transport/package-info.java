/**
 * The part of a transport's DS component that every transport shares: {@link
 * io.hopseal.support.transport.TransportComponentBase}, the {@code Transport} service delegating to the transport the
 * component runs, with one inbound port for the component's life; and {@link
 * io.hopseal.support.transport.CopiesFrames}, the release of lent frames for a transport that copies every message.
 *
 * <p>Embedded privately by the bundles that hold a transport (bnd {@code -conditionalpackage: io.hopseal.support.*}
 * takes it in when a class uses it: the transports, and channel-impl for its in-memory transport); it needs
 * channel-api, which each of them imports.
 */
package io.hopseal.support.transport;
