package io.hopseal.itests.links;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;

/** Issue 6 at EU868 DR5 (see {@link LoraScenario}); on Felix and on Equinox. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class LoraLinkIT extends LoraScenario {
    @Configuration
    public Option[] config() {
        return Links.options("transport-lora");
    }

    @Test
    public void channelAndMessagesBothWaysAtDr5With10PercentUplinkLoss() throws Exception {
        channelAndMessagesBothWays(5);
    }
}
