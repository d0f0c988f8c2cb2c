package io.hopseal.cli;

import java.util.List;
import java.util.Set;

import io.hopseal.impl.routing.DefaultRouter;
import io.hopseal.transport.serial.SerialPortConfig;
import io.hopseal.transport.serial.SerialTransport;
import io.hopseal.transport.tcp.TcpListener;
import io.hopseal.transport.tcp.TcpTransport;

/** {@code hopseal relay}: forwards messages between TCP and serial links, a minimal gateway that holds no keys. */
final class RelayCommand {
    private static final String HELP = """
            usage: hopseal relay [--listen [HOST:]PORT] [--port-file FILE] [--serial LINK=PORT@BAUD]...
                                 [--forward-allow PATTERN]... [--tap]
            Forwards messages between TCP and serial links to the destinations --forward-allow names (nothing
            without it): a minimal gateway with no keys at all.
              --listen [HOST:]PORT  TCP port (default 127.0.0.1:4000, loopback only; 0.0.0.0:PORT for every interface)
              --serial LINK=PORT@BAUD[,8N1][,rtscts]  a serial line known as /serial/LINK (repeatable)
              --tap                 print every message it forwards: the routes it needs, and a payload it
                                    cannot read
            """ + ForwardOptions.HELP;

    private final CommandContext ctx;

    RelayCommand(CommandContext ctx) {
        this.ctx = ctx;
    }

    int run(String[] argv) throws Exception {
        if (ctx.help(argv, HELP)) {
            return 0;
        }
        Args a = new Args(argv, 0, Set.of("listen", "port-file", "serial", ForwardOptions.OPT), Set.of("tap"));
        HostPort listen = HostPort.parse(a.get("listen", "4000"), "listen");
        List<SerialPortConfig> ports = Nodes.serialPorts(a);
        // a router and transports only: no node, no vault, no identity, so it can read nothing it forwards
        DefaultRouter router = new DefaultRouter();
        router.setForwardPolicy(ForwardOptions.policy(a)); // before any transport is bound
        try (TcpTransport tcp = new TcpTransport(); SerialTransport serial = new SerialTransport()) {
            router.attach(a.has("tap") ? new Tap(tcp, ctx.out) : tcp);
            if (!ports.isEmpty()) {
                ports.forEach(serial::addPort);
                router.attach(a.has("tap") ? new Tap(serial, ctx.out) : serial);
            }
            TcpListener l = tcp.listen(listen.host(), listen.port());
            if (a.has("port-file")) {
                CliFiles.writeString(a.get("port-file"), Integer.toString(l.port()));
            }
            ctx.out.println("relay listening on tcp " + listen.host() + ":" + l.port() + ", " + ForwardOptions.describe(a));
            ctx.out.flush();
            ctx.awaitStop();
            return 0;
        }
    }
}
