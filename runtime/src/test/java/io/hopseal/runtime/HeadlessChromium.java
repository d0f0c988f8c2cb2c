package io.hopseal.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's headless {@code chromium} through its {@code chromedriver} ({@code /usr/bin/chromium},
 * {@code /usr/bin/chromedriver}; other paths with {@code -Dhopseal.chromium=...} and {@code -Dhopseal.chromedriver=...}),
 * both named explicitly so that Selenium Manager never runs (it would download a browser). Screenshots go to
 * {@code target/screenshots/}.
 */
final class HeadlessChromium {
    static final Path SCREENSHOTS = GatewayProcesses.JAR.toAbsolutePath().getParent().resolve("screenshots");

    private HeadlessChromium() {
    }

    /** A new browser; fails naming the missing package when Chromium or its driver is not installed. */
    static ChromeDriver start(String testName) throws IOException {
        Path chromium = executable(testName, "hopseal.chromium", "/usr/bin/chromium");
        Path driver = executable(testName, "hopseal.chromedriver", "/usr/bin/chromedriver");
        Files.createDirectories(GatewayProcesses.WORK); // for the driver's log
        Files.createDirectories(SCREENSHOTS);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(driver.toFile())
                .usingAnyFreePort().withLogFile(GatewayProcesses.WORK.resolve("chromedriver-" + testName + ".log").toFile())
                .build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1024");
        return new ChromeDriver(service, options);
    }

    static void screenshot(ChromeDriver browser, String name) throws IOException {
        Files.write(SCREENSHOTS.resolve(name), browser.getScreenshotAs(OutputType.BYTES));
    }

    /** Keeps what the browser showed when a test failed (a screenshot and the page's HTML), adding any error to {@code t}. */
    static void keepFailure(ChromeDriver browser, String prefix, Throwable t) {
        if (browser == null) {
            return;
        }
        try {
            screenshot(browser, prefix + "-failure.png");
            Files.writeString(SCREENSHOTS.resolve(prefix + "-failure.html"), browser.getPageSource());
        } catch (RuntimeException | IOException e) {
            t.addSuppressed(e);
        }
    }

    private static Path executable(String testName, String property, String debianPath) {
        Path p = Paths.get(System.getProperty(property, debianPath));
        if (!Files.isRegularFile(p) || !Files.isExecutable(p)) {
            throw new AssertionError(testName + " drives headless Chromium and needs " + p + ", which is missing or not "
                    + "executable: install Debian's packages chromium and chromium-driver (apt-get install chromium "
                    + "chromium-driver, as .ci/run does), or name another executable with -D" + property + "=<path>");
        }
        return p;
    }
}
