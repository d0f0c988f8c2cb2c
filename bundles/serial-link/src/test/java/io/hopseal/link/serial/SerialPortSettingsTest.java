package io.hopseal.link.serial;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import io.hopseal.link.serial.SerialPortSettings.FlowControl;
import io.hopseal.link.serial.SerialPortSettings.Parity;
import io.hopseal.link.serial.SerialPortSettings.StopBits;
import io.hopseal.support.InvalidFieldException;

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
        assertThatThrownBy(() -> SerialPortSettings.of("", 9600)).isInstanceOf(InvalidFieldException.class)
                .satisfies(e -> assertThat(((InvalidFieldException) e).field()).isEqualTo("portName"));
        assertThatThrownBy(() -> SerialPortSettings.of("/dev/x;baudrate=1", 9600))
                .satisfies(e -> assertThat(((InvalidFieldException) e).field()).isEqualTo("portName"));
        assertThatThrownBy(() -> SerialPortSettings.of("/dev/x", 0))
                .satisfies(e -> assertThat(((InvalidFieldException) e).field()).isEqualTo("baudRate"))
                .hasMessageContaining("was 0");
        assertThatThrownBy(() -> SerialPortSettings.parse("/dev/x@fast"))
                .satisfies(e -> assertThat(((InvalidFieldException) e).field()).isEqualTo("baudRate"));
        assertThatThrownBy(() -> SerialPortSettings.parse("/dev/x@9600,9N1"))
                .satisfies(e -> assertThat(((InvalidFieldException) e).field()).isEqualTo("dataBits"));
        assertThatThrownBy(() -> SerialPortSettings.parse("/dev/x@9600,8X1"))
                .satisfies(e -> assertThat(((InvalidFieldException) e).field()).isEqualTo("parity"));
        assertThatThrownBy(() -> SerialPortSettings.parse("/dev/x@9600,8N3"))
                .satisfies(e -> assertThat(((InvalidFieldException) e).field()).isEqualTo("stopBits"));
        assertThatThrownBy(() -> SerialPortSettings.parse("/dev/x@9600,8N1,dtr"))
                .satisfies(e -> assertThat(((InvalidFieldException) e).field()).isEqualTo("flowControl"));
    }

    @Test
    void shortNameIsTheLastPathSegment() {
        assertThat(SerialPortSettings.shortName("/dev/serial/by-id/usb-FTDI-if00-port0")).isEqualTo("usb-FTDI-if00-port0");
        assertThat(SerialPortSettings.shortName("COM3")).isEqualTo("COM3");
        assertThat(SerialPortSettings.shortName("/dev/")).isEqualTo("/dev/");
    }

    @Test
    void driverValues() {
        assertThat(PortDriver.fromValue(" JSerialComm ")).isEqualTo(PortDriver.JSERIALCOMM);
        assertThatThrownBy(() -> PortDriver.fromValue("rxtx"))
                .satisfies(e -> assertThat(((InvalidFieldException) e).field()).isEqualTo("driver"));
    }
}
