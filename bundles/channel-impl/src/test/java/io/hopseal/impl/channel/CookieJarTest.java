package io.hopseal.impl.channel;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.SecureRandom;

import org.junit.jupiter.api.Test;

import io.hopseal.api.routing.Route;

/** The listener's stateless cookies and sources, sans-I/O (the time is a parameter). */
class CookieJarTest {
    private static final long T0 = 1_700_000_000_000L;
    private final CookieJar jar = new CookieJar(new SecureRandom());
    private final byte[] source = ListenerWorker.routeBytes(Route.parse("/tcp/10.0.0.7:53422/service/cabcde"));
    private final byte[] first = message1();

    private static byte[] message1() {
        byte[] f = new byte[66];
        f[0] = 0x10;
        new SecureRandom().nextBytes(f);
        f[0] = 0x10;
        return f;
    }

    @Test
    void aCookieIsGoodForItsSourceAndMessageForTwoToFourMinutes() {
        byte[] c = jar.make(T0, source, first);
        assertThat(c).hasSize(Wire.COOKIE);
        assertThat(jar.check(T0, source, first, c, 0)).isTrue();
        // made in one 2-minute period, still good in the next (previous secret), not in the one after
        long periodStart = Math.floorDiv(T0, CookieJar.ROTATION_MILLIS) * CookieJar.ROTATION_MILLIS;
        assertThat(jar.check(periodStart + CookieJar.ROTATION_MILLIS + 1, source, first, c, 0)).isTrue();
        assertThat(jar.check(periodStart + 2 * CookieJar.ROTATION_MILLIS + 1, source, first, c, 0))
                .as("expired").isFalse();
    }

    @Test
    void forgedWrongSourceAndWrongMessageCookiesAreRefused() {
        byte[] c = jar.make(T0, source, first);
        byte[] forged = c.clone();
        forged[7] ^= 1;
        assertThat(jar.check(T0, source, first, forged, 0)).as("forged").isFalse();
        byte[] otherSource = ListenerWorker.routeBytes(Route.parse("/tcp/10.0.0.8:53422/service/cabcde"));
        assertThat(jar.check(T0, otherSource, first, c, 0)).as("other source").isFalse();
        byte[] otherMessage = first.clone();
        otherMessage[5] ^= 1;
        assertThat(jar.check(T0, source, otherMessage, c, 0)).as("other message 1").isFalse();
        assertThat(jar.check(T0, source, first, new byte[Wire.COOKIE], 0)).as("zeros").isFalse();
        assertThat(jar.check(T0, source, first, new byte[3], 0)).as("short").isFalse();
        assertThat(new CookieJar(new SecureRandom()).check(T0, source, first, c, 0)).as("another listener").isFalse();
    }

    @Test
    void message1CarriesTheCookieAfterItsBytesWithBit3Set() {
        byte[] c = jar.make(T0, source, first);
        byte[] with = Wire.withCookie(first, c);
        assertThat(with).hasSize(first.length + 16);
        assertThat(with[0] & 0xff).isEqualTo(0x18);
        assertThat(Wire.patternOf(with[0] & 0xff)).isEqualTo(Wire.patternOf(first[0] & 0xff));
        assertThat(Wire.hasCookie(with[0] & 0xff)).isTrue();
        assertThat(Wire.withoutCookie(with)).isEqualTo(first);
        // a newer cookie replaces the old one, it is not appended
        assertThat(Wire.withCookie(with, new byte[16])).hasSize(first.length + 16);
        assertThat(Wire.patternOf(0x16)).as("pattern 3 is reserved").isNull();
        assertThat(Wire.patternOf(0x1E)).isNull();
    }

    @Test
    void aSourceIsTheFirstTwoHopsWithoutTcpPorts() {
        assertThat(ListenerWorker.sourceOf(Route.parse("/tcp/10.0.0.7:53422/service/c7x2qa"))).isEqualTo("/1/10.0.0.7");
        assertThat(ListenerWorker.sourceOf(Route.parse("/tcp/10.0.0.7:1/service/c7x2qa")))
                .as("another port, the same source").isEqualTo("/1/10.0.0.7");
        assertThat(ListenerWorker.sourceOf(Route.parse("/tcp/10.0.0.2:4711/serial/ttyUSB0/service/c7x2qa")))
                .isEqualTo("/1/10.0.0.2/3/ttyUSB0");
        assertThat(ListenerWorker.sourceOf(Route.parse("/tcp/10.0.0.2:4711/tcp/10.9.9.9:80/t200/x/service/c7x2qa")))
                .as("hops beyond the second do not make new sources").isEqualTo("/1/10.0.0.2/1/10.9.9.9");
        assertThat(ListenerWorker.sourceOf(Route.parse("/service/c7x2qa"))).isEqualTo("local");
        assertThat(ListenerWorker.withoutPort("[fd00::7]:5000")).isEqualTo("[fd00::7]");
        assertThat(ListenerWorker.withoutPort("fd00::7")).isEqualTo("fd00::7");
        assertThat(ListenerWorker.withoutPort("gw.example")).isEqualTo("gw.example");
    }
}
