package io.hopseal.link.serial;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The provider choice that the serial and ZigBee transports share. */
class SerialPortProvidersTest {
    record Named(String name) implements SerialPortProvider {
        @Override
        public SerialConnection open(SerialPortSettings settings) throws IOException {
            throw new IOException("not a real provider");
        }
    }

    final SerialPortProvider kura = new Named(SerialPortProviders.KURA);
    final SerialPortProvider jsc = new Named(SerialPortProviders.JSERIALCOMM);
    final SerialPortProvider other = new Named("test");

    @Test
    void autoPrefersKuraThenJSerialCommThenAnyOther() throws IOException {
        assertThat(SerialPortProviders.select(PortDriver.AUTO, List.of(other, jsc, kura))).isSameAs(kura);
        assertThat(SerialPortProviders.select(PortDriver.AUTO, List.of(other, jsc))).isSameAs(jsc);
        assertThat(SerialPortProviders.select(PortDriver.AUTO, List.of(other))).isSameAs(other);
        assertThatThrownBy(() -> SerialPortProviders.select(PortDriver.AUTO, List.of())).isInstanceOf(IOException.class)
                .hasMessageContaining("jSerialComm").hasMessageContaining("Kura's comm service");
    }

    @Test
    void anExplicitDriverTakesOnlyThatProviderAndSaysWhichIsMissing() throws IOException {
        assertThat(SerialPortProviders.select(PortDriver.JSERIALCOMM, List.of(kura, jsc))).isSameAs(jsc);
        assertThat(SerialPortProviders.select(PortDriver.KURA, List.of(jsc, kura))).isSameAs(kura);
        assertThatThrownBy(() -> SerialPortProviders.select(PortDriver.JSERIALCOMM, List.of(kura, other)))
                .isInstanceOf(IOException.class).hasMessageContaining("driver jserialcomm chosen");
        assertThatThrownBy(() -> SerialPortProviders.select(PortDriver.KURA, List.of(jsc, other)))
                .isInstanceOf(IOException.class).hasMessageContaining("driver kura chosen");
    }
}
