package io.hopseal.runtime;

import static io.hopseal.runtime.GatewayProcesses.WORK;
import static io.hopseal.runtime.GatewayProcesses.await;
import static io.hopseal.runtime.GatewayProcesses.echoThroughGateway;
import static io.hopseal.runtime.GatewayProcesses.freePort;
import static io.hopseal.runtime.GatewayProcesses.identityOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.openqa.selenium.support.ui.ExpectedConditions.elementToBeClickable;
import static org.openqa.selenium.support.ui.ExpectedConditions.textToBePresentInElementLocated;

import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The Hopseal page of the web console, in headless Chromium: it is in the console's menu, shows the gateway's identity,
 * its listener, its TCP transport and the picture of the hops, and (polling the status) a row for a channel as soon as a
 * device opens one to the gateway, with the device's identifier as its peer. Screenshots in
 * {@code target/screenshots/hopseal-page-*.png}.
 */
class ConsolePluginIT {
    @AutoClose
    private final BrowserAndGateways rig = new BrowserAndGateways();
    private final GatewayProcesses gateways = rig.gateways;
    private ChromeDriver browser;

    @Test
    void theHopsealPageShowsTheGatewayAndAChannelWhenADeviceConnects() throws Exception {
        browser = rig.startBrowser("ConsolePluginIT"); // also makes WORK and the screenshots' folder
        int httpPort = freePort();
        int tcpPort = freePort();
        Path log = WORK.resolve("plugin-gateway.log");
        Process gateway = gateways.startWithConsole(log, WORK.resolve("plugin-" + System.nanoTime()).toString(),
                httpPort, "--tcp-port", String.valueOf(tcpPort));
        String base = "http://127.0.0.1:" + httpPort;
        String[] status = {""};
        await("the gateway's identity in the status", gateway, log,
                () -> GatewayProcesses.hasIdentity(status[0] = gateways.status(base)));
        String identifier = identityOf(status[0]); // from that answer: the next one may come from a restarting service
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
        try {
            // from the console's menu, as a person finds it
            browser.get("http://admin:" + GatewayProcesses.PASSWORD + "@127.0.0.1:" + httpPort + "/system/console/bundles");
            wait.withMessage("the console's Status menu").until(elementToBeClickable(By.linkText("Status"))).click();
            wait.withMessage("Hopseal in the console's Status menu").until(elementToBeClickable(By.linkText("Hopseal")))
                    .click();
            wait.withMessage("the gateway's identity on the page")
                    .until(textToBePresentInElementLocated(By.id("hopseal-identity"), identifier));
            assertThat(browser.getCurrentUrl()).endsWith("/system/console/hopseal");
            assertThat(text("hopseal-listeners")).contains("/secure/api");
            assertThat(text("hopseal-transports")).contains("tcp").contains("listening 0.0.0.0:" + tcpPort);
            assertThat(text("hopseal-hops")).contains("devices, peers").contains("this node")
                    .contains("backends, next hops").contains(identifier.substring(0, 13));
            assertThat(text("hopseal-channels")).contains("no channel");
            rig.screenshot("hopseal-page-1-idle.png");

            // a device opens a channel to the gateway's echo service: the page shows it without a reload
            echoThroughGateway(tcpPort, identifier, device -> {
                wait.withMessage("a channel row with the device " + device + " as its peer")
                        .until(textToBePresentInElementLocated(By.id("hopseal-channels"), device));
                assertThat(text("hopseal-channels")).contains("OPEN").contains("Noise_XX_25519_AESGCM_SHA256");
                assertThat(text("hopseal-hops")).contains("1 link(s) in").contains("1 channel(s) here");
                rig.screenshot("hopseal-page-2-channel.png");
            });
        } catch (Throwable t) {
            rig.keepFailure("hopseal-page", t);
            throw t;
        }
    }

    private String text(String id) {
        return browser.findElement(By.id(id)).getText();
    }
}
