package io.hopseal.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.openqa.selenium.support.ui.ExpectedConditions.elementToBeClickable;
import static org.openqa.selenium.support.ui.ExpectedConditions.stalenessOf;
import static org.openqa.selenium.support.ui.ExpectedConditions.visibilityOfElementLocated;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

import io.hopseal.testsupport.Await;

/**
 * Runs the README's five-minute walk-through: the exact commands between its markers, as separate processes, with
 * the ports swapped for free ones and the gateway's data in a scratch folder.
 */
class WalkthroughIT {
    private static final Path JAR = GatewayProcesses.JAR;
    private static final Path WORK = GatewayProcesses.WORK;
    @AutoClose
    private final BrowserAndGateways rig = new BrowserAndGateways();
    private final GatewayProcesses processes = rig.gateways;

    @Test
    void theReadmeWalkthroughWorksAsWritten() throws Exception {
        Path repo = JAR.toAbsolutePath().getParent().getParent().getParent();
        String readme = Files.readString(repo.resolve("README.md"));
        String block = readme.substring(readme.indexOf("<!-- WALKTHROUGH-START -->"), readme.indexOf("<!-- WALKTHROUGH-END -->"));
        List<String> commands = block.lines().map(String::strip).filter(l -> l.startsWith("java -jar")).toList();
        List<String> shell = block.lines().map(String::strip).filter(l -> l.startsWith("hopseal:")).toList();
        assertThat(commands).hasSize(4);
        assertThat(shell).containsExactly("hopseal:tap 8 30", "hopseal:channels");
        Map<String, String> ports = Map.of("4000", String.valueOf(GatewayProcesses.freePort()), "4001", String.valueOf(GatewayProcesses.freePort()),
                "5000", String.valueOf(GatewayProcesses.freePort()), "8080", String.valueOf(GatewayProcesses.freePort()));
        Files.createDirectories(WORK);
        Path data = WORK.resolve("walkthrough-" + System.nanoTime());

        // 1. backend node
        Path backendLog = WORK.resolve("walk-backend.log");
        Process backend = start(repo, commands.get(0), ports, List.of(), backendLog);
        String backendId = await(backendLog, Pattern.compile("node (I[0-9a-f]{40})"), backend);

        // 2. gateway (its data in a scratch folder, its ports swapped)
        Path gwLog = WORK.resolve("walk-gateway.log");
        Process gateway = start(repo, commands.get(1), ports, List.of("--data", data.toString(), "--http-port",
                ports.get("8080"), "--tcp-port", ports.get("4000")), gwLog);
        await(gwLog, Pattern.compile("shell +try"), gateway);
        GatewayProcesses.await("the gateway's TCP listener", gateway, gwLog,
                () -> accepts(Integer.parseInt(ports.get("4000"))));

        // 3. device: an end-to-end channel through the gateway
        String device = run(repo, commands.get(2), ports);
        assertThat(device).contains("channel open: peer " + backendId);
        assertThat(device.lines().filter(l -> l.equals("reply: 21.5 C"))).hasSize(3);

        // 4. the gateway's shell: tap, then the same send again; then the channel list
        OutputStream stdin = gateway.getOutputStream();
        stdin.write((shell.get(0) + "\n").getBytes(StandardCharsets.UTF_8));
        stdin.flush();
        await(gwLog, Pattern.compile("tap: printing the next (\\d+) forwarded messages"), gateway);
        assertThat(run(repo, commands.get(2), ports)).contains("reply: 21.5 C");
        String tapped = await(gwLog, Pattern.compile("(\\d+) messages forwarded"), gateway);
        assertThat(Integer.parseInt(tapped)).isEqualTo(8);
        String log = Files.readString(gwLog);
        assertThat(log).contains("| 33 bytes 10").contains("| 198 bytes 20").doesNotContain("21.5 C");
        stdin.write((shell.get(1) + "\n").getBytes(StandardCharsets.UTF_8));
        stdin.flush();
        await(gwLog, Pattern.compile("(\\d+) channels?\\n"), gateway);
        assertThat(Files.readString(gwLog)).doesNotContain("peer=" + backendId);

        // 5. the web console, in headless Chromium, as the README says: open the page it names, log in, click the
        // listener it names, type the port it names into the Port field, Save
        String step5 = block.substring(block.indexOf("\n5. "));
        String page = substitute(match(step5, "<(http://[^>]+/configMgr)>"), ports);
        String user = match(step5, "user\\s+`([^`]+)`");
        String clickText = substitute(match(step5, "click the gateway's listener, \\*\\*([^*]+)\\*\\*"), ports);
        String newPort = ports.get(match(step5, "set \\*\\*Port\\*\\* to `(\\d+)`"));
        assertThat(step5).contains("**Save**");
        Path passwordFile = data.resolve("http-password");
        assertThat(Files.readString(gwLog)).contains("password in " + passwordFile);
        String password = GatewayProcesses.generatedPassword(data); // head -1 hopseal-data/http-password
        assertThat(Files.readString(gwLog)).doesNotContain(password);
        ChromeDriver browser = rig.startBrowser("WalkthroughIT");
        try {
            // the browser gives the credentials in the address (what a person types into the login dialog)
            browser.get(page.replace("http://", "http://" + user + ":" + password + "@"));
            WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
            wait.withMessage("'" + clickText + "' on the configuration page")
                    .until(elementToBeClickable(By.xpath("//table[@id='configTable']//*[normalize-space(text())='"
                            + clickText + "']"))).click();
            WebElement port = wait.withMessage("the listener's form with its Port field").until(visibilityOfElementLocated(
                    By.xpath("//form[@id='editorForm']//tr[td[normalize-space()='Port']]//*[self::input or self::textarea]")));
            rig.assertListenerForm();
            assertThat(port.getDomProperty("value")).as("the form shows the running port").isEqualTo(ports.get("4000"));
            port.clear();
            port.sendKeys(newPort);
            rig.screenshot("walkthrough-step5-port-typed.png");
            browser.findElement(BrowserAndGateways.SAVE).click();
            wait.withMessage("the console to save and reload the configuration page").until(stalenessOf(port));
            wait.withMessage("the listener listed with its new port").until(visibilityOfElementLocated(By.xpath(
                    "//table[@id='configTable']//*[normalize-space(text())='" + clickText.replace(ports.get("4000"), newPort)
                    + "']")));
            rig.screenshot("walkthrough-step5-saved.png");
        } catch (Throwable t) {
            rig.keepFailure("walkthrough-step5", t);
            throw t;
        }
        GatewayProcesses.await("the listener on the new port " + newPort, gateway, gwLog,
                () -> accepts(Integer.parseInt(newPort)));
        String[] last = {""};
        String moved = Await.attempt(() -> "the device's reply through the moved listener; last output:\n" + last[0],
                Duration.ofSeconds(30), Duration.ofMillis(250), () -> {
                    last[0] = run(repo, commands.get(3), ports);
                    return last[0].contains("reply: 22.0 C") ? last[0] : null;
                });
        assertThat(moved).contains("reply: 22.0 C");
        assertThat(accepts(Integer.parseInt(ports.get("4000")))).as("the old port is closed").isFalse();
    }

    private static String match(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertThat(m.find()).as("the README's step 5 has " + regex + ":\n" + text).isTrue();
        return m.group(1);
    }

    private static String substitute(String command, Map<String, String> ports) {
        String c = command;
        for (Map.Entry<String, String> e : ports.entrySet()) {
            c = c.replaceAll("(?<=[ :])" + e.getKey() + "(?=\\b)", e.getValue());
        }
        return c;
    }

    private static List<String> argv(String command) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("\"([^\"]*)\"|(\\S+)").matcher(command);
        while (m.find()) {
            out.add(m.group(1) != null ? m.group(1) : m.group(2));
        }
        out.set(0, Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        return out;
    }

    private Process start(Path repo, String command, Map<String, String> ports, List<String> extra, Path log)
            throws IOException {
        List<String> cmd = argv(substitute(command, ports));
        cmd.addAll(extra);
        return processes.start(repo, cmd, log);
    }

    private static String run(Path repo, String command, Map<String, String> ports) throws Exception {
        Process p = new ProcessBuilder(argv(substitute(command, ports))).directory(repo.toFile()).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        p.waitFor(60, TimeUnit.SECONDS);
        return new String(out, StandardCharsets.UTF_8);
    }

    private static boolean accepts(int port) {
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port), 1000);
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private static String await(Path log, Pattern pattern, Process p) throws Exception {
        return Await.attempt(() -> "'" + pattern + "' in " + log, Duration.ofSeconds(60), Duration.ofMillis(100),
                () -> {
                    if (Files.exists(log)) {
                        Matcher m = pattern.matcher(Files.readString(log));
                        if (m.find()) {
                            return m.groupCount() > 0 ? m.group(1) : m.group();
                        }
                    }
                    assertThat(p.isAlive()).as("process alive; log:\n" + (Files.exists(log) ? Files.readString(log) : ""))
                            .isTrue();
                    return null;
                });
    }
}
