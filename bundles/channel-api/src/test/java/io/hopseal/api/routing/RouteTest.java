package io.hopseal.api.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RouteTest {

    @Test
    void parsesTheTextFormUsersType() {
        Route r = Route.parse("/tcp/10.0.0.5:4000/secure/api/service/echo");
        assertThat(r.size()).isEqualTo(3);
        assertThat(r.first()).isEqualTo(Address.tcp("10.0.0.5:4000"));
        assertThat(r.addresses().get(1)).isEqualTo(Address.local("api"));
        assertThat(r.toString()).isEqualTo("/tcp/10.0.0.5:4000/service/api/service/echo");
        assertThat(Route.parse(r.toString())).isEqualTo(r);
    }

    @Test
    void radioAddressesAreHexAndValuesArePercentEncoded() {
        Route r = Route.parse("/zigbee/0013A20040A1B2C3/serial/%2Fdev%2FttyUSB0/lora/70b3d57ed0000001");
        assertThat(r.first().value()).hasSize(8);
        assertThat(r.addresses().get(1).valueText()).isEqualTo("/dev/ttyUSB0");
        assertThat(r.toString()).isEqualTo("/zigbee/0013A20040A1B2C3/serial/%2Fdev%2FttyUSB0/lora/70B3D57ED0000001");
        assertThat(Route.parse(r.toString())).isEqualTo(r);
        assertThat(Route.parse("/t200/x").first().type()).isEqualTo(200);
        assertThat(Route.parse("/")).isEqualTo(Route.EMPTY);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "tcp/host:1|starts with '/'",
            "/bogus/x|unknown address type 'bogus'",
            "/tcp|has no value",
            "/tcp/|has no value",
            "/tcp/host|must be host:port",
            "/tcp/host:99999|port must be 1..65535",
            "/tcp/host:http|not a number",
            "/service//x|empty",
            "/zigbee/0013A|even number",
            "/zigbee/zz|must be hex",
            "/service/a%2|two hex digits",
    })
    void malformedRoutesGiveClearErrors(String input, String expected) {
        assertThatThrownBy(() -> Route.parse(input))
                .isInstanceOf(RouteSyntaxException.class)
                .hasMessageContaining(expected)
                .hasMessageContaining("bad route '" + input + "'");
    }

    @Test
    void tooManyHopsAndTooLongValuesAreRefused() {
        String hop = "/service/x";
        assertThatThrownBy(() -> Route.parse(hop.repeat(Route.MAX_HOPS + 1))).hasMessageContaining("more than 32 hops");
        assertThatThrownBy(() -> Route.parse("/service/" + "a".repeat(256))).hasMessageContaining("1..255 bytes");
    }

    @Test
    void restPrependAppend() {
        Route r = Route.parse("/service/a/service/b");
        assertThat(r.rest()).isEqualTo(Route.parse("/service/b"));
        assertThat(r.rest().rest()).isEqualTo(Route.EMPTY);
        assertThat(Route.EMPTY.rest()).isEqualTo(Route.EMPTY);
        assertThat(r.prepend(Address.tcp("h:1")).toString()).isEqualTo("/tcp/h:1/service/a/service/b");
        assertThat(r.append(Address.local("c")).size()).isEqualTo(3);
        assertThatThrownBy(Route.EMPTY::first).isInstanceOf(IllegalStateException.class);
    }

    /**
     * Routes share their hops array with the routes {@code rest()} makes of them (a router takes a hop off every
     * message): views must compare, hash and print like routes built fresh, never see a change, and stay within the
     * hop limit when grown.
     */
    @Test
    void viewsMadeByRestBehaveLikeFreshRoutes() {
        Route r = Route.parse("/tcp/h:1/service/a/service/b");
        Route view = r.rest();
        Route fresh = Route.of(Address.local("a"), Address.local("b"));
        assertThat(view).isEqualTo(fresh).hasSameHashCodeAs(fresh);
        assertThat(view.hashCode()).isEqualTo(java.util.List.of(Address.local("a"), Address.local("b")).hashCode());
        assertThat(view.addresses()).containsExactly(Address.local("a"), Address.local("b"));
        assertThat(view.get(1)).isEqualTo(Address.local("b"));
        assertThatThrownBy(() -> view.get(2)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> view.addresses().set(0, Address.local("x"))).isInstanceOf(UnsupportedOperationException.class);
        assertThat(view.prepend(Address.local("z")).toString()).isEqualTo("/service/z/service/a/service/b");
        assertThat(r.toString()).isEqualTo("/tcp/h:1/service/a/service/b"); // the shared array never changes
        assertThat(view.append(Route.parse("/service/c")).toString()).isEqualTo("/service/a/service/b/service/c");
        assertThat(view.append(Route.EMPTY)).isSameAs(view);

        Address[] given = {Address.local("a")};
        Route copied = Route.of(given);
        given[0] = Address.local("changed");
        assertThat(copied.first()).isEqualTo(Address.local("a")); // of(...) copies the caller's array
        assertThatThrownBy(() -> Route.of((Address) null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> Route.of(Address.local("a"), null)).isInstanceOf(NullPointerException.class);

        Route longest = Route.parse("/service/x".repeat(Route.MAX_HOPS));
        assertThatThrownBy(() -> longest.append(Address.local("y"))).isInstanceOf(IllegalArgumentException.class);
        assertThat(longest.rest().append(Address.local("y")).size()).isEqualTo(Route.MAX_HOPS);
    }

    @Test
    void messageToStringNeverShowsThePayload() {
        Message m = Message.to(Route.parse("/service/echo"), "secret-plaintext".getBytes());
        assertThat(m.toString()).doesNotContain("secret").contains("16 bytes");
    }
}
