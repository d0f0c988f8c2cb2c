package io.hopseal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;

import org.openqa.selenium.By;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * What a web console test drives: headless Chromium ({@link HeadlessChromium}) and the gateway processes it looks at
 * ({@link GatewayProcesses}). A test holds one in a field marked {@code @AutoClose}: after the test the browser quits
 * first, then every gateway still running is stopped.
 */
final class BrowserAndGateways implements AutoCloseable {
    /** The Save button of the console's configuration form. */
    static final By SAVE = By.xpath("//div[contains(@class,'ui-dialog-buttonpane')]//button[normalize-space()='Save']");

    final GatewayProcesses gateways = new GatewayProcesses();
    private ChromeDriver browser;

    /**
     * Starts the browser; call it first in a test: without a browser there is nothing to test, and the failure says
     * which package is missing before anything else runs.
     */
    ChromeDriver startBrowser(String testName) throws IOException {
        browser = HeadlessChromium.start(testName);
        return browser;
    }

    ChromeDriver browser() {
        return browser;
    }

    void screenshot(String name) throws IOException {
        HeadlessChromium.screenshot(browser, name);
    }

    /** Keeps what the browser showed when the test failed (see {@link HeadlessChromium#keepFailure}). */
    void keepFailure(String prefix, Throwable t) {
        HeadlessChromium.keepFailure(browser, prefix, t);
    }

    /** The open form is the TCP listener's (its dialog's title). */
    void assertListenerForm() {
        assertThat(browser.findElement(By.cssSelector(".ui-dialog-title")).getText()).isEqualTo("Hopseal TCP listener");
    }

    @Override
    public void close() throws InterruptedException {
        try {
            if (browser != null) {
                browser.quit();
            }
        } finally {
            gateways.close();
        }
    }
}
