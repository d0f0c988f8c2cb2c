package io.hopseal.transport.serial;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import io.hopseal.api.routing.Address;
import io.hopseal.transport.serial.SerialPortSettings.FlowControl;
import io.hopseal.transport.serial.SerialPortSettings.Parity;
import io.hopseal.transport.serial.SerialPortSettings.StopBits;

class SerialPortSettingsTest {
    @Test
    void textFormRoundTrips() {
        SerialPortSettings s = SerialPortSettings.parse("/dev/ttyUSB0@9600,7E2,rtscts");
        assertThat(s).isEqualTo(new SerialPortSettings("/dev/ttyUSB0", 9600, 7, Parity.EVEN, StopBits.TWO,
                FlowControl.RTS_CTS));
        assertThat(s.toString()).isEqualTo("/dev/ttyUSB0@9600,7E2,rtscts");
        assertThat(SerialPortSettings.parse(s.toString())).isEqualTo(s);
        assertThat(SerialPortSettings.parse("COM3")).isEqualTo(SerialPortSettings.of("COM3", 115200));
        assertThat(SerialPortSettings.parse("/dev/ttyS1@57600").toString()).isEqualTo("/dev/ttyS1@57600,8N1");
        assertThat(SerialPortSettings.parse("/dev/ttyS1@57600,8N1.5,xonxoff").stopBits()).isEqualTo(StopBits.ONE_POINT_FIVE);
    }

    @Test
    void invalidValuesNameTheField() {
        assertThatThrownBy(() -> SerialPortSettings.of("", 9600)).isInstanceOf(InvalidSettingException.class)
                .satisfies(e -> assertThat(((InvalidSettingException) e).field()).isEqualTo("portName"));
        assertThatThrownBy(() -> SerialPortSettings.of("/dev/x;baudrate=1", 9600))
                .satisfies(e -> assertThat(((InvalidSettingException) e).field()).isEqualTo("portName"));
        assertThatThrownBy(() -> SerialPortSettings.of("/dev/x", 0))
                .satisfies(e -> assertThat(((InvalidSettingException) e).field()).isEqualTo("baudRate"))
                .hasMessageContaining("was 0");
        assertThatThrownBy(() -> SerialPortSettings.parse("/dev/x@fast"))
                .satisfies(e -> assertThat(((InvalidSettingException) e).field()).isEqualTo("baudRate"));
        assertThatThrownBy(() -> SerialPortSettings.parse("/dev/x@9600,9N1"))
                .satisfies(e -> assertThat(((InvalidSettingException) e).field()).isEqualTo("dataBits"));
        assertThatThrownBy(() -> SerialPortSettings.parse("/dev/x@9600,8X1"))
                .satisfies(e -> assertThat(((InvalidSettingException) e).field()).isEqualTo("parity"));
        assertThatThrownBy(() -> SerialPortSettings.parse("/dev/x@9600,8N3"))
                .satisfies(e -> assertThat(((InvalidSettingException) e).field()).isEqualTo("stopBits"));
        assertThatThrownBy(() -> SerialPortSettings.parse("/dev/x@9600,8N1,dtr"))
                .satisfies(e -> assertThat(((InvalidSettingException) e).field()).isEqualTo("flowControl"));
    }

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
                .satisfies(e -> assertThat(((InvalidSettingException) e).field()).isEqualTo("maxFrameSize"));
        assertThatThrownBy(() -> c.withSendQueueCapacity(0))
                .satisfies(e -> assertThat(((InvalidSettingException) e).field()).isEqualTo("sendQueueCapacity"));
        assertThatThrownBy(() -> c.withLinkAddress("x".repeat(256)))
                .satisfies(e -> assertThat(((InvalidSettingException) e).field()).isEqualTo("linkAddress"));
        assertThatThrownBy(() -> c.withSettings(c.settings().withDataBits(7)))
                .satisfies(e -> assertThat(((InvalidSettingException) e).field()).isEqualTo("dataBits"))
                .hasMessageContaining("binary");
        assertThatThrownBy(() -> PortDriver.fromValue("rxtx"))
                .satisfies(e -> assertThat(((InvalidSettingException) e).field()).isEqualTo("driver"));
        assertThatThrownBy(() -> new SerialTransportConfig(java.time.Duration.ofSeconds(5), java.time.Duration.ofSeconds(1)))
                .satisfies(e -> assertThat(((InvalidSettingException) e).field()).isEqualTo("reconnectBackoffMax"));
    }
}
