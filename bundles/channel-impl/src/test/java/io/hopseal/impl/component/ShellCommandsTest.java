package io.hopseal.impl.component;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.util.Arrays;
import java.util.List;

import org.apache.felix.service.command.Descriptor;
import org.junit.jupiter.api.Test;

class ShellCommandsTest {
    private final ShellCommands shell = new ShellCommands();

    @Test
    void tapRefusesACountOrATimeOutOfRangeNamingIt() throws InterruptedException {
        assertThat(shell.tap(0, 0)).isEqualTo("tap: count must be 1..1000, was 0");
        assertThat(shell.tap(-3)).isEqualTo("tap: count must be 1..1000, was -3");
        assertThat(shell.tap(1001, 5)).isEqualTo("tap: count must be 1..1000, was 1001");
        assertThat(shell.tap(5, 0)).isEqualTo("tap: seconds must be 1..3600, was 0");
        assertThat(shell.tap(5, 3601)).isEqualTo("tap: seconds must be 1..3600, was 3601");
        // in range, it gets as far as the router (none here)
        assertThat(shell.tap(1, 1)).isEqualTo("no router");
    }

    /** Gogo's help shows these: every command and every parameter has one. */
    @Test
    void everyCommandAndParameterHasADescriptor() {
        List<Method> commands = Arrays.stream(ShellCommands.class.getDeclaredMethods())
                .filter(m -> Modifier.isPublic(m.getModifiers()) && !Modifier.isStatic(m.getModifiers())).toList();
        assertThat(commands).extracting(Method::getName)
                .contains("tap", "identity", "channels", "routes", "transports");
        for (Method m : commands) {
            assertThat(m.getAnnotation(Descriptor.class)).as(m.toString()).isNotNull();
            assertThat(m.getAnnotation(Descriptor.class).value()).as(m.toString()).isNotBlank();
            for (Parameter p : m.getParameters()) {
                assertThat(p.getAnnotation(Descriptor.class)).as(p + " of " + m).isNotNull();
            }
        }
    }
}
