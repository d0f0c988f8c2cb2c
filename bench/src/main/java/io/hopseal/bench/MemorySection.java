package io.hopseal.bench;

import static io.hopseal.bench.Report.d;
import static io.hopseal.bench.Report.n0;
import static io.hopseal.bench.Report.n1;

/** Section 4 of RESULTS.md: heap per idle established channel ({@link MemoryProbe}). */
final class MemorySection {
    private final Report r;

    MemorySection(Report r) {
        this.r = r;
    }

    void write(StringBuilder md) {
        md.append("## 4. Memory per idle established channel\n\n");
        if (r.memory == null) {
            md.append("Not run.\n\n");
            return;
        }
        if (r.memory.containsKey("error")) {
            md.append("The memory probe failed: ").append(r.memory.get("error")).append("\n\n");
        }
        md.append("Two nodes on an in-memory link in a JVM with `-Xmx256m`; ").append(r.memory.get("channels"))
                .append(" XX channels bound to an echo service; used heap after full GCs before and after, divided by "
                        + "the number of channels.\n\n");
        md.append("| state | bytes per channel |\n|---|---:|\n");
        md.append("| both ends, just opened (handshake done, nothing sent) | ").append(n0(d(r.memory.get("bothEndsFresh"))))
                .append(" |\n");
        md.append("| both ends, after one message each way | ").append(n0(d(r.memory.get("bothEndsAfterEcho")))).append(" |\n");
        md.append("| **responder end** (backend/gateway side), after one message each way, idle | **")
                .append(n0(d(r.memory.get("responderEndAfterEcho")))).append("** |\n");
        md.append("| initiator end (device side), after one message each way, idle | ")
                .append(n0(d(r.memory.get("initiatorEndAfterEcho")))).append(" |\n\n");
        md.append("(Responder ends alone: the link is cut and the initiator ends are closed, so only the backend's "
                + r.memory.getOrDefault("responderStillOpen", "?") + " open ends remain.)\n\n");
        double perEnd = d(r.memory.get("responderEndAfterEcho"));
        double heap = 256.0 * 1024 * 1024;
        double base = d(r.memory.get("baseline"));
        md.append("**Channels in a 256 MiB heap.** Extrapolated for a backend holding one end per channel: (256 MiB − ")
                .append(n1(base / 1048576)).append(" MiB baseline) / ").append(n0(perEnd)).append(" B ≈ **")
                .append(n0((heap - base) / perEnd)).append(" channel ends** (at 100 % heap; ")
                .append(n0((heap * 0.9 - base) / perEnd)).append(" at 90 %).");
        if (r.capacity != null && !r.capacity.containsKey("error")) {
            double ch = d(r.capacity.get("capacityChannels"));
            boolean full = Boolean.parseBoolean(String.valueOf(r.capacity.get("capacityFull")));
            double used = d(r.capacity.get("capacityUsed"));
            double b0 = d(r.capacity.get("capacityBaseline"));
            md.append(" Measured in a forked `-Xmx256m` JVM holding **both** ends of every channel: ").append(n0(ch))
                    .append(" channels open with ").append(n1(used / 1048576)).append(" MiB used after GC in ")
                    .append(n0(d(r.capacity.get("capacitySeconds")))).append(" s, ")
                    .append(full ? "stopped at 90 % of the heap"
                            : "stopped by the time limit before the heap filled; extrapolated to 100 %: "
                                    + n0(ch * (heap - b0) / Math.max(1, used - b0)) + " channels with both ends")
                    .append(".");
            if (r.capacity.get("capacityStop") != null) {
                md.append(" (The run stopped early: ").append(r.capacity.get("capacityStop")).append(".)");
            }
        } else if (r.capacity != null) {
            md.append(" The r.capacity run failed: ").append(r.capacity.get("error"));
        }
        if (r.idleLimit != null) {
            md.append("\n\n**Idle channels that never sent a message.** Opening channels that send nothing, 128 at a "
                    + "time (5 s handshake timeout): ").append(r.idleLimit.getOrDefault("idleOpened", "?"))
                    .append(" opened, then: ").append(r.idleLimit.getOrDefault("idleFailure", r.idleLimit.get("error")))
                    .append(". A listener holds an entry (with a copy of message 1) per handshake in progress, 1,024 at "
                            + "most (`ListenerWorker.MAX_PENDING`), and releases it when the handshake is over for good: "
                            + "for XX when message 3 is accepted, for KK/IK one handshake timeout after the channel opened "
                            + "(the responder may have to resend message 2), or at the peer's first message; so channels "
                            + "that never send anything do not lock the listener (see `PROFILE.md` §2a).");
        }
        md.append("\n\nLargest classes per responder end (class histogram difference; full list in `profile-data.md`):\n\n");
        md.append("| class | instances per end | bytes per end |\n|---|---:|---:|\n");
        int shown = 0;
        for (String[] h : r.histo("responderAfterEcho")) {
            if (shown++ >= 12) {
                break;
            }
            md.append("| `").append(h[2]).append("` | ").append(h[3]).append(" | ").append(h[4]).append(" |\n");
        }
        md.append('\n');
    }
}
