package io.hopseal.link.serial.kura;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import io.hopseal.link.serial.SerialPortSettings;

class KuraCommPortProviderTest {
    @Test
    void kuraCommUriSyntax() {
        assertThat(KuraCommPortProvider.commUri(SerialPortSettings.parse("/dev/ttyUSB0@115200,8N1"))).isEqualTo(
                "comm:/dev/ttyUSB0;baudrate=115200;databits=8;stopbits=1;parity=0;flowcontrol=0;timeout=2000");
        assertThat(KuraCommPortProvider.commUri(SerialPortSettings.parse("/dev/ttyS1@9600,8E1.5,rtscts"))).isEqualTo(
                "comm:/dev/ttyS1;baudrate=9600;databits=8;stopbits=3;parity=2;flowcontrol=3;timeout=2000");
        assertThat(KuraCommPortProvider.commUri(SerialPortSettings.parse("/dev/ttyS1@9600,8O2,xonxoff")))
                .endsWith("stopbits=2;parity=1;flowcontrol=12;timeout=2000");
    }
}
