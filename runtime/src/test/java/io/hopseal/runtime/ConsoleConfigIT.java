package io.hopseal.runtime;

import static io.hopseal.runtime.GatewayProcesses.WORK;
import static io.hopseal.runtime.GatewayProcesses.await;
import static io.hopseal.runtime.GatewayProcesses.echoThroughGateway;
import static io.hopseal.runtime.GatewayProcesses.freePort;
import static io.hopseal.runtime.GatewayProcesses.identityOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.openqa.selenium.support.ui.ExpectedConditions.stalenessOf;
import static org.openqa.selenium.support.ui.ExpectedConditions.visibilityOfElementLocated;

import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.IntStream;

import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The configuration UI, tested in a real browser: headless Chromium opens the gateway's web console, finds the
 * Hopseal TCP listener's configuration, changes its port in the form and saves it; the running transport then listens
 * on the new port (a plain-Java node gets its echo through it) and no longer on the old one. A port out of range typed
 * in the same form is refused by the listener, which keeps serving on the last good port. Screenshots of the form go
 * to {@code target/screenshots/}.
 *
 * <p>Needs Debian's {@code chromium} and {@code chromium-driver} ({@code /usr/bin/chromium}, {@code /usr/bin/chromedriver});
 * other paths with {@code -Dhopseal.chromium=...} and {@code -Dhopseal.chromedriver=...}. Selenium Manager is never
 * used (it would download a browser).
 */
class ConsoleConfigIT {
    /** The gateway's default listener, listed by its label (its pid is the label's title). */
    private static final String LISTENER_ROW = "//table[@id='configTable']//tr[td/span[starts-with(@title, '"
            + Gateway.LISTENER_FACTORY + "~" + Gateway.DEFAULT_LISTENER + "')]]";
    private static final By PORT_FIELD = By.cssSelector("#editorForm [name='port']");

    @AutoClose
    private final BrowserAndGateways rig = new BrowserAndGateways();
    private final GatewayProcesses gateways = rig.gateways;
    private ChromeDriver browser;

    @Test
    void aPortChangedAndSavedInTheWebConsoleIsAppliedByTheRunningTcpListener() throws Exception {
        browser = rig.startBrowser("ConsoleConfigIT"); // also makes WORK and the screenshots' folder
        int httpPort = freePort();
        int oldPort = freePort();
        int newPort = freePortOtherThan(httpPort, oldPort);
        Path log = WORK.resolve("console-gateway.log");
        String data = WORK.resolve("console-" + System.nanoTime()).toString();
        Process gateway = gateways.startWithConsole(log, data, httpPort, "--tcp-port", String.valueOf(oldPort));
        String base = "http://127.0.0.1:" + httpPort;
        // the browser gives the console's credentials (basic auth) in the address; Chromium reuses them for the
        // page's own requests
        String browserBase = "http://admin:" + GatewayProcesses.PASSWORD + "@127.0.0.1:" + httpPort;
        String[] status = {""};
        await("the TCP listener on port " + oldPort + " and the identity in the status", gateway, log, () -> {
            status[0] = gateways.status(base);
            return status[0].contains(listening(oldPort)) && GatewayProcesses.hasIdentity(status[0]);
        });
        String identifier = identityOf(status[0]);

        try {
            String console = browserBase + "/system/console";
            WebElement port = openListenerForm(console);
            assertThat(port.getDomProperty("value")).as("the form shows the running port").isEqualTo(String.valueOf(oldPort));
            port.clear();
            port.sendKeys(String.valueOf(newPort));
            rig.screenshot("console-1-new-port-typed.png");
            save(port);

            // the running listener moved: the status says so, a node's channel gets its echo through the new port,
            // and the old port refuses connections
            await("the TCP listener on the new port " + newPort + " in the status", gateway, log,
                    () -> gateways.status(base).contains(listening(newPort)));
            assertThat(gateways.status(base)).doesNotContain(listening(oldPort));
            echoThroughGateway(newPort, identifier, peer -> { });
            assertThatThrownBy(() -> new Socket("127.0.0.1", oldPort).close()).as("old port " + oldPort + " closed")
                    .isInstanceOf(ConnectException.class);

            // the status page, in the browser too, shows the listener on the new port
            browser.get(browserBase + "/hopseal/status");
            assertThat(browser.findElement(By.tagName("body")).getText()).contains(listening(newPort));
            rig.screenshot("console-2-status-after-save.png");

            // the console shows the saved value when the form is opened again
            port = openListenerForm(console);
            assertThat(port.getDomProperty("value")).isEqualTo(String.valueOf(newPort));
            rig.screenshot("console-3-form-after-save.png");

            // a port out of range is refused by the listener, which logs why and keeps the last good port
            port.clear();
            port.sendKeys("70000");
            rig.screenshot("console-4-bad-port-typed.png");
            save(port);
            await("the listener's refusal of port 70000 in the gateway log", gateway, log,
                    () -> Files.readString(log).contains("configuration refused: property port must be 1..65535, was "
                            + "70000; keeping 0.0.0.0:" + newPort));
            assertThat(gateways.status(base)).contains(listening(newPort));
            echoThroughGateway(newPort, identifier, peer -> { });

            // the console stored 70000 all the same: after a restart the listener runs on the last configuration
            // it accepted (kept in the state folder) instead of not listening at all, and says why
            gateways.stop(gateway);
            Path restartLog = WORK.resolve("console-gateway-restart.log");
            Process restarted = gateways.startWithConsole(restartLog, data, httpPort);
            // the TCP listener can be up before the channel listener 'api' is registered, and a device that comes
            // that early is told "no service 'api'" (a route error report): wait for both
            await("the restarted gateway's TCP listener on the last good port " + newPort + " and its channel "
                    + "listener", restarted, restartLog, () -> gateways.status(base).contains(listening(newPort))
                    && gateways.status(base).contains("\"route\":\"/secure/api\""));
            assertThat(Files.readString(restartLog)).contains("stored configuration refused: property port must be "
                    + "1..65535, was 70000; using the last good configuration 0.0.0.0:" + newPort);
            echoThroughGateway(newPort, identifier, peer -> { });
        } catch (Throwable t) {
            rig.keepFailure("console", t); // what the browser showed, to see why
            throw t;
        }
    }

    /** Opens the configuration page, finds the TCP listener's configuration and opens its form; returns its port field. */
    private WebElement openListenerForm(String console) {
        browser.get(console + "/configMgr");
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
        wait.withMessage("a row for the TCP listener's configuration (" + Gateway.LISTENER_FACTORY + ".*) on the "
                + "configuration page").until(visibilityOfElementLocated(By.xpath(LISTENER_ROW)))
                .findElement(By.cssSelector("li[title='Edit the configuration values']")).click();
        WebElement port = wait.withMessage("the TCP listener's form with its port field")
                .until(visibilityOfElementLocated(PORT_FIELD));
        rig.assertListenerForm();
        return port;
    }

    /** Clicks the form's Save button and waits for the page the console reloads after a successful save. */
    private void save(WebElement field) {
        browser.findElement(BrowserAndGateways.SAVE).click();
        new WebDriverWait(browser, Duration.ofSeconds(30))
                .withMessage("the console to accept the form and reload the configuration page").until(stalenessOf(field));
        new WebDriverWait(browser, Duration.ofSeconds(30)).withMessage("the reloaded configuration page")
                .until(visibilityOfElementLocated(By.xpath(LISTENER_ROW)));
    }

    private static int freePortOtherThan(int... taken) throws IOException {
        while (true) {
            int p = freePort();
            if (IntStream.of(taken).noneMatch(t -> t == p)) {
                return p;
            }
        }
    }

    private static String listening(int port) {
        return "tcp: listening 0.0.0.0:" + port + ";";
    }
}
