package io.hopseal.transport.lora.region;

/**
 * A regulatory sub-band with a duty-cycle limit (ETSI EN 300 220 for EU868).
 *
 * @param name      e.g. {@code "g1 868.0-868.6"}
 * @param lowHz     lowest centre frequency, inclusive
 * @param highHz    highest centre frequency, inclusive
 * @param dutyCycle the fraction of time a transmitter may be on, e.g. 0.01
 */
public record SubBand(String name, long lowHz, long highHz, double dutyCycle) {
    public boolean contains(long hz) {
        return hz >= lowHz && hz <= highHz;
    }
}
