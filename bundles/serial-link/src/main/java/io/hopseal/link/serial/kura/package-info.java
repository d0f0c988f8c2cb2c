/**
 * Kura's comm API ({@code org.osgi.service.io.ConnectionFactory} with {@code io.scheme=comm}) as a
 * {@link io.hopseal.link.serial.SerialPortProvider}. Loaded only where a bundle's component has found Kura's comm
 * service, so the optional imports of {@code org.osgi.service.io} and {@code javax.microedition.io} may stay
 * unresolved elsewhere.
 */
package io.hopseal.link.serial.kura;
