package io.hopseal.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;

import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleException;

class JavaGuardTest {
    @Test
    void java8AndEverythingBelow17IsRefusedWithTheReason() {
        assertThat(JavaGuard.problem("1.8")).startsWith("Hopseal needs Java 17 or newer; this Kura runs Java 1.8.");
        assertThat(JavaGuard.problem("11")).startsWith("Hopseal needs Java 17 or newer; this Kura runs Java 11.");
        assertThat(JavaGuard.problem("16")).isNotNull();
        assertThat(JavaGuard.problem(null)).contains("runs Java (unknown)");
        assertThat(JavaGuard.problem("x")).isNotNull();
        assertThat(JavaGuard.problem("17")).isNull();
        assertThat(JavaGuard.problem("21")).isNull();
        assertThat(JavaGuard.problem("17.0.2")).isNull();
    }

    @Test
    void theActivatorThrowsOnJava8SoDeploymentAdminAbandonsThePackage() throws BundleException {
        assertThatThrownBy(() -> JavaGuard.check("1.8")).isInstanceOf(BundleException.class)
                .hasMessageStartingWith("Hopseal needs Java 17")
                .satisfies(e -> assertThat(((BundleException) e).getType()).isEqualTo(BundleException.ACTIVATOR_ERROR));
        JavaGuard.check("17"); // no exception
        new JavaGuard().start(null); // this JVM is 17 or newer
    }

    @Test
    void itIsJava8Bytecode() throws IOException {
        try (InputStream in = JavaGuard.class.getResourceAsStream("JavaGuard.class");
                DataInputStream d = new DataInputStream(in)) {
            assertThat(d.readInt()).isEqualTo(0xCAFEBABE);
            d.readUnsignedShort(); // minor
            assertThat(d.readUnsignedShort()).as("class file major version (52 = Java 8)").isEqualTo(52);
        }
    }
}
