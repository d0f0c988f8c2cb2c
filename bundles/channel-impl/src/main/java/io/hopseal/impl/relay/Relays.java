package io.hopseal.impl.relay;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Registration;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.Router;
import io.hopseal.api.routing.SendResult;

/** The registrant side of named relays: asks the relay at the far end of a secure channel to forward a name here. */
public final class Relays {
    private Relays() {
    }

    /**
     * Registers {@code name} with the relay at the far end of {@code toRelay} (an open channel this node opened to the
     * relay node); refresh it well within the relay's ttl. Completes with the forwarding address text
     * ({@code /service/forward_to_<name>}), or exceptionally with an {@link IllegalStateException} carrying the
     * relay's refusal, or a {@link java.util.concurrent.TimeoutException}.
     */
    public static CompletableFuture<String> register(Router router, SecureChannel toRelay, String name,
                                                     Duration timeout) {
        if (!RelayService.NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("a relay name is 1 to 64 letters, digits, '.', '_' or '-', was '"
                    + name + "'");
        }
        CompletableFuture<String> answer = new CompletableFuture<>();
        Registration[] reply = new Registration[1];
        reply[0] = router.registerRandom("relayreply", (m, ctx) -> {
            String text = new String(m.payload(), StandardCharsets.UTF_8);
            if (text.startsWith("registered ")) {
                answer.complete(text.substring("registered ".length()));
            } else {
                answer.completeExceptionally(new IllegalStateException("relay " + toRelay.peer() + ": " + text));
            }
        });
        answer.whenComplete((a, e) -> reply[0].close());
        SendResult r = router.send(new Message(Route.of(toRelay.address(), Address.local(RelayService.SERVICE)),
                Route.of(reply[0].address()), name.getBytes(StandardCharsets.UTF_8)));
        if (r.isDropped()) {
            answer.completeExceptionally(new IllegalStateException("registration not sent: " + r.counterName()));
        }
        return answer.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }
}
