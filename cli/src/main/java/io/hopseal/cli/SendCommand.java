package io.hopseal.cli;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.Resumption;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.credential.Credential;
import io.hopseal.api.identity.Identifier;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.RouteError;
import io.hopseal.api.routing.RouteSyntaxException;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.vault.Vault;
import io.hopseal.node.HopsealNode;
import io.hopseal.transport.tcp.TcpTransport;

/** {@code hopseal send}: opens a secure channel along a route, sends messages and prints the replies. */
final class SendCommand {
    private static final String HELP = """
            usage: hopseal send --to ROUTE [--message TEXT]... [options]
            Opens a secure channel along ROUTE and sends each message to the channel's service; prints the replies.
              --to ROUTE          e.g. /tcp/gateway:4000/tcp/backend:5000/secure/api/service/echo: everything up to
                                  /secure/<listener> reaches the listener, the rest is the service
              --message TEXT      a message (repeatable; default "hello")
              --count N           send the messages N times (default 1)
              --numbered          append " #<n>" to each message (n counts from 1), so every message is unique
              --expect ID         only accept this peer identifier
              --credential FILE   present this credential (repeatable)
              --timeout DURATION  for the handshake and each reply (default 10s)
              --interval DURATION pause between messages (default none)
              --resume NAME       persist the channel's session as NAME (needs --state): the next run resumes it
                                  without a handshake; a missing reply on a resumed channel makes it shake hands anew
              --state DIR         where this node keeps its state (persisted sessions in DIR/sessions)
            exit code 0 when every message got its reply; 1 (with the hop and reason) when a hop or the far end reports
            that it cannot deliver (no route, link down, connection refused, forwarding denied, unknown service)
            """ + VaultOptions.HELP;

    private final CommandContext ctx;

    SendCommand(CommandContext ctx) {
        this.ctx = ctx;
    }

    int run(String[] argv) throws Exception {
        if (ctx.help(argv, HELP)) {
            return 0;
        }
        Args a = new Args(argv, 0, VaultOptions.with(VaultOptions.OPTS, "to", "message", "count", "expect", "credential",
                "timeout", "interval", "resume", "state"), Set.of("numbered"));
        String to = a.required("to");
        try {
            Route.parse(to);
        } catch (RouteSyntaxException e) {
            throw new UsageException(e.getMessage());
        }
        if (!to.contains("/secure/")) {
            throw new UsageException("--to needs a /secure/<listener> segment, e.g. /tcp/host:4000/secure/api/service/echo");
        }
        int count = a.intValue("count", 1, 1, 1_000_000);
        Duration timeout = a.duration("timeout", Duration.ofSeconds(10));
        Duration interval = a.has("interval") ? a.duration("interval", Duration.ZERO) : Duration.ZERO;
        List<String> messages = a.all("message").isEmpty() ? List.of("hello") : a.all("message");
        ChannelOptions o = ChannelOptions.defaults().withHandshakeTimeout(timeout);
        if (a.has("expect")) {
            try {
                o = o.withExpectedPeer(Identifier.parse(a.get("expect")));
            } catch (IllegalArgumentException e) {
                throw new UsageException("--expect: " + e.getMessage());
            }
        }
        boolean resume = a.has("resume");
        if (resume) {
            if (!a.has("state")) {
                throw new UsageException("--resume needs --state DIR: where the session is kept");
            }
            try {
                o = o.withResumption(Resumption.named(a.get("resume")));
            } catch (IllegalArgumentException e) {
                throw new UsageException("--resume: " + e.getMessage());
            }
        }
        List<Credential> creds = new ArrayList<>();
        for (String f : a.all("credential")) {
            creds.add(CliFiles.readCredential(f));
        }
        Vault vault = VaultOptions.open(a, false, ctx.err);
        try (HopsealNode node = Nodes.build(a, vault, new TcpTransport[1], ctx.err);
             StopOnSignal stop = new StopOnSignal(node)) {
            node.channels().setCredentials(creds);
            long before = node.channels().counters().getOrDefault("resumption.resumed", 0L);
            SecureChannel ch = Nodes.connect(node, to, o, timeout);
            boolean resumed = node.channels().counters().getOrDefault("resumption.resumed", 0L) > before;
            ctx.out.println("channel " + (resumed ? "resumed" : "open") + ": peer " + ch.peer() + " (" + ch.protocolName()
                    + ") from " + node.identifier());
            // replies and route error reports (the far end has no such service, a hop cannot deliver) in one inbox
            BlockingQueue<Object> inbox = new LinkedBlockingQueue<>();
            ch.setReceiver(inbox::add);
            ch.onRouteError(inbox::add);
            int missing = 0;
            int sent = 0;
            for (int i = 0; i < count && !stop.stopping(); i++) {
                for (String text : messages) {
                    String m = a.has("numbered") ? text + " #" + ++sent : text;
                    SendResult r = ch.send(m.getBytes(UTF_8));
                    Object got = r.isDropped() ? null : inbox.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
                    if (stop.stopping()) {
                        break; // stopped by a signal: what is left is not a failure of the route
                    }
                    if (got == null && resumed) {
                        // the peer lost the session (no valid reply in time): forget it and shake hands, once
                        ch.close();
                        inbox.clear();
                        ch = Nodes.connect(node, to, o, timeout);
                        ch.setReceiver(inbox::add);
                        ch.onRouteError(inbox::add);
                        resumed = false;
                        ctx.out.println("no reply to '" + m + "' on the resumed channel: new handshake, channel open: peer "
                                + ch.peer());
                        r = ch.send(m.getBytes(UTF_8));
                        got = r.isDropped() ? null : inbox.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
                    }
                    Message reply = got instanceof Message msg ? msg : null;
                    if (got instanceof RouteError e) {
                        missing++;
                        ctx.out.println("no reply to '" + m + "': " + e.describe());
                        ctx.err.println("hopseal: " + e.describe());
                    } else if (reply == null) {
                        missing++;
                        ctx.out.println("no reply to '" + m + "'" + (r.isDropped() ? " (" + r + ")" : ""));
                    } else {
                        ctx.out.println("reply: " + new String(reply.payload(), UTF_8));
                    }
                    ctx.out.flush();
                    if (!interval.isZero()) {
                        Thread.sleep(interval.toMillis());
                    }
                }
            }
            if (!resume) {
                ch.close(); // a resumable channel stays: closing the node keeps its session for the next run
            }
            return missing == 0 ? 0 : 1;
        } finally {
            VaultOptions.close(vault);
        }
    }
}
