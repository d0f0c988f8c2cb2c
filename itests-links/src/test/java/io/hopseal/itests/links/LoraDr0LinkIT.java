package io.hopseal.itests.links;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;

/** Issue 6 at EU868 DR0, 51-byte frames (see {@link LoraScenario}); on Felix, on Equinox with
 * {@code -Dit.equinox.excludes=none} (about a minute per run with real receive windows). */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class LoraDr0LinkIT extends LoraScenario {
    @Configuration
    public Option[] config() {
        return Links.options("transport-lora");
    }

    @Test
    public void channelAndMessagesBothWaysAtDr0With10PercentUplinkLoss() throws Exception {
        channelAndMessagesBothWays(0);
    }
}
