package io.hopseal.transport.serial;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import io.hopseal.api.routing.Address;
import io.hopseal.link.serial.PortDriver;
import io.hopseal.link.serial.SerialPortSettings;
import io.hopseal.support.InvalidFieldException;

class SerialPortConfigTest {
    @Test
    void portConfigDefaultsAndChecks() {
        SerialPortConfig c = new SerialPortConfig(null, SerialPortSettings.of("/dev/serial/by-id/usb-FTDI-if00-port0"));
        assertThat(c.linkAddress()).isEqualTo("usb-FTDI-if00-port0");
        assertThat(c.address()).isEqualTo(Address.of(Address.SERIAL, "usb-FTDI-if00-port0"));
        assertThat(c.maxFrameSize()).isEqualTo(2048);
        assertThat(c.driver()).isEqualTo(PortDriver.AUTO);
        assertThat(SerialPortConfig.parse("gw=/dev/ttyUSB0@9600")).isEqualTo(
                new SerialPortConfig("gw", SerialPortSettings.of("/dev/ttyUSB0", 9600)));
        assertThat(SerialPortConfig.parse("/dev/ttyUSB0").linkAddress()).isEqualTo("ttyUSB0");
        assertThat(SerialPortConfig.parse("device-7=COM4@115200,8N1").linkAddress()).isEqualTo("device-7");

        assertThatThrownBy(() -> c.withMaxFrameSize(10))
                .satisfies(e -> assertThat(((InvalidFieldException) e).field()).isEqualTo("maxFrameSize"));
        assertThatThrownBy(() -> c.withSendQueueCapacity(0))
                .satisfies(e -> assertThat(((InvalidFieldException) e).field()).isEqualTo("sendQueueCapacity"));
        assertThatThrownBy(() -> c.withLinkAddress("x".repeat(256)))
                .satisfies(e -> assertThat(((InvalidFieldException) e).field()).isEqualTo("linkAddress"));
        assertThatThrownBy(() -> c.withSettings(c.settings().withDataBits(7)))
                .satisfies(e -> assertThat(((InvalidFieldException) e).field()).isEqualTo("dataBits"))
                .hasMessageContaining("binary");
        assertThatThrownBy(() -> new SerialTransportConfig(java.time.Duration.ofSeconds(5), java.time.Duration.ofSeconds(1)))
                .satisfies(e -> assertThat(((InvalidFieldException) e).field()).isEqualTo("reconnectBackoffMax"));
    }
}
