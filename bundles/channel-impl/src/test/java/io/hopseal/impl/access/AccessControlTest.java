package io.hopseal.impl.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.hopseal.impl.access.AccessControl.Decision;

class AccessControlTest {
    static final String SENSOR_POLICY = "subject.role = \"sensor\" and subject.site = \"plant-3\"";
    static final Subject SENSOR = Subject.of("I0123456789abcdef0123456789abcdef01234567",
            Map.of("role", "sensor", "site", "plant-3"));
    static final Subject ADMIN = Subject.of("Iffffffffffffffffffffffffffffffffffffffff", Map.of("role", "admin"));
    static final Subject NO_ATTRIBUTES = Subject.of("I0000000000000000000000000000000000000000", Map.of());

    final AccessControl ac = new AccessControl();

    @Test
    void serviceWithoutPolicyIsOpenEvenToAnonymous() {
        assertThat(ac.check("echo", Subject.anonymous())).isEqualTo(new Decision(true, "no policy"));
        assertThat(ac.check("echo", null)).isEqualTo(new Decision(true, "no policy"));
        assertThat(ac.check("echo", SENSOR)).isEqualTo(new Decision(true, "no policy"));
        assertThat(ac.policyFor("echo")).isEmpty();
        assertThat(ac.counters()).as("services without a policy are not counted").isEmpty();
    }

    @Test
    void allowedAndDeniedSubjects() {
        ac.set("telemetry", Policy.parse(SENSOR_POLICY));
        ac.set("admin", Policy.parse("subject.role = \"admin\""));

        assertThat(ac.check("telemetry", SENSOR)).isEqualTo(new Decision(true, "allowed by policy"));
        assertThat(ac.check("admin", SENSOR)).isEqualTo(
                new Decision(false, "denied: subject does not satisfy subject.role = \"admin\""));
        assertThat(ac.check("telemetry", ADMIN)).isEqualTo(
                new Decision(false, "denied: subject does not satisfy " + SENSOR_POLICY));
        assertThat(ac.check("admin", ADMIN).allowed()).isTrue();
        assertThat(ac.check("telemetry", NO_ATTRIBUTES).allowed()).isFalse();

        assertThat(ac.counters()).containsExactly(
                Map.entry("admin.allowed", 1L), Map.entry("admin.denied", 1L),
                Map.entry("telemetry.allowed", 1L), Map.entry("telemetry.denied", 2L));
    }

    @Test
    void anonymousIsDeniedWhereThereIsAPolicy() {
        ac.set("telemetry", Policy.parse("true"));
        assertThat(ac.check("telemetry", Subject.anonymous()))
                .isEqualTo(new Decision(false, "denied: no authenticated subject"));
        assertThat(ac.check("telemetry", null)).isEqualTo(AccessControl.NO_AUTHENTICATED_SUBJECT);
        assertThat(ac.check("telemetry", NO_ATTRIBUTES)).isEqualTo(AccessControl.ALLOWED_BY_POLICY);
        assertThat(ac.check("other", Subject.anonymous())).isEqualTo(AccessControl.NO_POLICY);
        assertThat(ac.counters()).containsEntry("telemetry.denied", 2L).containsEntry("telemetry.allowed", 1L);
    }

    @Test
    void setReplaceRemove() {
        Policy p1 = Policy.parse("subject.role = \"sensor\"");
        Policy p2 = Policy.parse("subject.role = \"admin\"");
        ac.set("svc", p1);
        assertThat(ac.policyFor("svc")).contains(p1);
        assertThat(ac.check("svc", SENSOR).allowed()).isTrue();
        ac.set("svc", p2);
        assertThat(ac.policyFor("svc")).contains(p2);
        assertThat(ac.check("svc", SENSOR).allowed()).isFalse();
        assertThat(ac.remove("svc")).contains(p2);
        assertThat(ac.remove("svc")).isEmpty();
        assertThat(ac.check("svc", SENSOR)).isEqualTo(AccessControl.NO_POLICY);
        // counters survive policy changes and removal
        assertThat(ac.counters()).containsEntry("svc.allowed", 1L).containsEntry("svc.denied", 1L);
    }

    @Test
    void replaceAllSwapsTheWholeSet() {
        ac.set("a", Policy.parse("false"));
        ac.set("b", Policy.parse("false"));
        ac.replaceAll(Map.of("b", Policy.parse("true"), "c", Policy.parse("true")));
        assertThat(ac.policies()).containsOnlyKeys("b", "c");
        assertThat(ac.check("a", SENSOR)).isEqualTo(AccessControl.NO_POLICY);
        assertThat(ac.check("b", SENSOR).allowed()).isTrue();
        assertThatThrownBy(() -> ac.replaceAll(Map.of(" ", Policy.parse("true"))))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(ac.policies()).as("a rejected configuration changes nothing").containsOnlyKeys("b", "c");
    }

    @Test
    void malformedPolicyIsRejectedAtConfigurationTime() {
        ac.set("svc", Policy.parse("true"));
        assertThatThrownBy(() -> ac.set("svc", Policy.parse("subject.role = sensor")))
                .isInstanceOf(PolicySyntaxException.class)
                .hasMessageContaining("column 16");
        assertThat(ac.policyFor("svc")).contains(Policy.parse("true"));
    }

    @Test
    void argumentChecks() {
        assertThatThrownBy(() -> ac.set(null, Policy.parse("true"))).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> ac.set("", Policy.parse("true"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ac.set("svc", null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new Decision(true, null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void concurrentChecksAndChanges() throws Exception {
        ac.set("svc", Policy.parse("subject.role = \"sensor\""));
        int threads = 8;
        int perThread = 20_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
        CountDownLatch go = new CountDownLatch(1);
        try {
            Future<?>[] futures = new Future<?>[threads];
            for (int t = 0; t < threads; t++) {
                Subject s = t % 2 == 0 ? SENSOR : ADMIN;
                futures[t] = pool.submit(() -> {
                    go.await();
                    for (int i = 0; i < perThread; i++) {
                        Decision d = ac.check("svc", s);
                        assertThat(d.allowed()).isEqualTo(s == SENSOR);
                    }
                    return null;
                });
            }
            Future<?> writer = pool.submit(() -> {
                go.await();
                for (int i = 0; i < 200; i++) {
                    ac.set("svc", Policy.parse("subject.role = \"sensor\" or false"));
                    ac.set("other" + (i % 5), Policy.parse("true"));
                    ac.set("svc", Policy.parse("subject.role = \"sensor\""));
                }
                return null;
            });
            go.countDown();
            for (Future<?> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
            writer.get(60, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        long total = (long) threads * perThread;
        assertThat(ac.counters().get("svc.allowed") + ac.counters().get("svc.denied")).isEqualTo(total);
        assertThat(ac.counters().get("svc.allowed")).isEqualTo(total / 2);
    }
}
