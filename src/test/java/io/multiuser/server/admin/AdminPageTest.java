package io.multiuser.server.admin;

import static io.multiuser.server.admin.AdminApi.BASE;
import static io.multiuser.server.admin.AdminApi.PASSWORD;
import static io.multiuser.server.admin.AdminApi.admin;
import static io.multiuser.server.testclient.TestClient.map;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;

import jakarta.json.Json;
import jakarta.json.JsonObject;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

import io.multiuser.server.observability.Scrape;
import io.multiuser.server.protocol.Node;
import io.multiuser.server.testclient.Nodes;
import io.multiuser.server.testclient.TestClient;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;

/**
 * The admin page in Debian's real headless Chromium, against real protocol clients: sign-in
 * (wrong, then right), a user with its latency, a joiner's progress bar moving, a kick from the
 * page and its line in the activity list. Screenshots of each step go to target/admin-page/.
 */
@QuarkusTest
class AdminPageTest {

    private static final Path SHOTS = Path.of("target", "admin-page");
    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final String SESSION = "ui-page";

    private static ChromeDriver browser;

    @TestHTTPResource("/")
    URL root;

    @BeforeAll
    static void startBrowser() throws IOException {
        Files.createDirectories(SHOTS);
        ChromeOptions options = new ChromeOptions();
        options.setBinary(Path.of("/usr/bin/chromium").toFile());
        // root in a container has no user namespace sandbox; /dev/shm is small there
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000",
                "--disable-background-networking", "--no-first-run", "--disable-component-update");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.PERFORMANCE, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(Path.of("/usr/bin/chromedriver").toFile()).build();
        browser = new ChromeDriver(service, options);
    }

    @AfterAll
    static void stopBrowser() {
        if (browser != null) {
            browser.quit();
        }
    }

    private static void shot(String name) throws IOException {
        Files.copy(browser.getScreenshotAs(OutputType.FILE).toPath(), SHOTS.resolve(name + ".png"),
                StandardCopyOption.REPLACE_EXISTING);
    }

    /** The first element found, once it is displayed. */
    private static WebElement await(By by) {
        return Awaitility.await(by.toString()).atMost(WAIT).ignoreExceptions().until(() -> {
            List<WebElement> found = browser.findElements(by);
            return found.isEmpty() || !found.get(0).isDisplayed() ? null : found.get(0);
        }, java.util.Objects::nonNull);
    }

    /** On a timeout, the page is kept as {@code failed.png} and its status line goes into the message. */
    private static void awaitTrue(String what, java.util.function.BooleanSupplier condition) throws IOException {
        try {
            Awaitility.await(what).atMost(WAIT).ignoreExceptions().until(condition::getAsBoolean);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            shot("failed");
            throw new AssertionError("waiting for " + what + "; the page's status line: '" + statusLine()
                    + "' (screenshot failed.png)", e);
        }
    }

    private static String statusLine() {
        return browser.findElement(By.id("status")).getText();
    }

    private static int progressValue() {
        List<WebElement> bars = browser.findElements(By.cssSelector("progress[data-download='ui-joiner']"));
        return bars.isEmpty() ? -1 : Integer.parseInt(bars.get(0).getDomAttribute("value"));
    }

    @Test
    void anAdminSignsInWatchesAJoinAndKicksFromThePage() throws Exception {
        admin().contentType(ContentType.JSON).body(Map.of("name", SESSION, "port", 0)).post(BASE + "/sessions").then()
                .statusCode(201);
        int port = admin().get(BASE + "/sessions/{s}", SESSION).then().extract().path("ports.commands");
        List<Node> scene = Nodes.scene(600, 1024, 31);
        try (TestClient host = new TestClient(port, "ui-host");
                TestClient joiner = new TestClient(port, "ui-joiner")) {
            assertThat(host.loginAsAdmin(PASSWORD)).isEqualTo("LOBBY");
            host.upload(scene);

            // The server's root leads to the page; a wrong secret is refused with a clear message.
            browser.get(root.toString());
            assertThat(browser.getCurrentUrl()).endsWith("/admin/");
            await(By.id("secret")).sendKeys("not-the-password");
            browser.findElement(By.cssSelector("#login-form button[type=submit]")).click();
            awaitTrue("the refusal", () -> browser.findElement(By.id("login-error")).getText()
                    .equals("Wrong password or token."));
            assertThat(browser.findElement(By.id("app")).isDisplayed()).isFalse();
            shot("1-wrong-password");

            WebElement secret = browser.findElement(By.id("secret"));
            secret.clear();
            secret.sendKeys(PASSWORD);
            browser.findElement(By.cssSelector("#login-form button[type=submit]")).click();
            await(By.cssSelector("#sessions tr[data-session='" + SESSION + "'] button")).click();
            awaitTrue("the session's view", () -> browser.findElement(By.id("session-title")).getText()
                    .equals("Session " + SESSION));

            // The host appears with its latency once its heartbeat answered a PING.
            awaitTrue("the host's latency", () -> browser.findElements(By.cssSelector("[data-latency='ui-host']"))
                    .stream().anyMatch(e -> e.getText().endsWith(" ms")));
            shot("2-signed-in");

            // A joiner that takes the snapshot slowly: its progress bar moves as it asks for more.
            assertThat(joiner.loginAsClient()).isEqualTo("RUNNING");
            joiner.send("ui-joiner", "RepSnapshotCommand", map("STATE", "REQUEST_INIT"));
            List<String> catalog = TestClient.catalog(joiner.await("RepSnapshotCommand"));
            List<String> order = new ArrayList<>(catalog);
            java.util.Collections.reverse(order); // the client asks from the last entry
            getNodes(joiner, order.subList(0, 10));
            awaitTrue("the progress bar", () -> progressValue() > 0);
            int first = progressValue();
            shot("3-join-started");
            getNodes(joiner, order.subList(10, 400));
            awaitTrue("the progress bar to move", () -> progressValue() > first);
            assertThat(progressValue()).isLessThan(600);
            shot("4-join-moved");
            // the same progress as metrics, while the join runs
            awaitTrue("the join in the metrics", () -> {
                Scrape scrape = Scrape.now();
                return scrape.get("multiuser_snapshot_downloads_active{session=\"" + SESSION + "\"}") == 1
                        && scrape.get("multiuser_snapshot_download_remaining_bytes{session=\"" + SESSION + "\"}") > 0
                        && scrape.get("multiuser_snapshot_download_sent_nodes_total{session=\"" + SESSION + "\"}")
                                >= progressValue();
            });

            // Kick it from the page, with the confirmation dialog.
            browser.findElement(By.cssSelector("button[data-kick='ui-joiner']")).click();
            await(By.id("confirm-ok")).click();
            assertThat(joiner.await("RepDisconnectCommand").data()).isEqualTo(Map.of("reason", "kicked by admin"));
            awaitTrue("the joiner to be gone", () ->
                    browser.findElements(By.cssSelector("tr[data-user='ui-joiner']")).isEmpty());
            awaitTrue("the kick in the activity list", () -> browser.findElements(By.cssSelector("#activity li"))
                    .stream().anyMatch(li -> "kick".equals(li.getDomAttribute("data-kind"))
                            && li.getText().contains("ui-joiner")));
            shot("5-kicked");

            // Ban the host from the page: it is kicked now and its next login is refused.
            browser.findElement(By.cssSelector("button[data-ban='ui-host']")).click();
            await(By.id("confirm-ok")).click();
            assertThat(host.await("RepDisconnectCommand").data()).isEqualTo(Map.of("reason", "kicked by admin"));
            awaitTrue("the host to be gone", () ->
                    browser.findElements(By.cssSelector("tr[data-user='ui-host']")).isEmpty());
            try (TestClient again = new TestClient(port, "ui-host")) {
                assertThat(again.loginAsAdmin(PASSWORD)).startsWith("FAILED: banned from this server");
            }
            // The action's outcome stays on the status line while the live view goes on updating the page.
            awaitTrue("the ban on the status line", () -> statusLine().matches("Banned ui-host \\(ban \\S+\\)\\."));
            String banned = statusLine();
            String facts = browser.findElement(By.id("session-facts")).getText(); // its uptime changes every second
            awaitTrue("a live update", () -> !browser.findElement(By.id("session-facts")).getText().equals(facts));
            assertThat(statusLine()).isEqualTo(banned);
            shot("5b-banned");

            // Scene summary of the session: 600 nodes of the test type.
            awaitTrue("the scene summary", () -> browser.findElements(By.cssSelector("#types tbody tr")).stream()
                    .anyMatch(tr -> tr.getText().contains("600")));

            // A tunnel token for an artist: the connect command is shown once, then revoked from the list.
            await(By.id("token-label")).sendKeys("ui-artist");
            browser.findElement(By.id("token-hours")).sendKeys("2");
            // the name is required: a click before the keys land is refused by the form, not sent
            awaitTrue("the artist's name in the form", () ->
                    "ui-artist".equals(browser.findElement(By.id("token-label")).getDomProperty("value")));
            // Enter in the form, not a click: the activity list above it grows with every live update, and a
            // click aimed at a button that has just moved lands beside it.
            browser.findElement(By.id("token-label")).sendKeys(Keys.ENTER);
            awaitTrue("the connect command", () -> browser.findElement(By.id("token-command")).getText()
                    .matches("java -jar quarkus-run\\.jar connect wss://\\S+/tunnel/" + SESSION + " --token mut_\\S+"));
            awaitTrue("the token's row", () -> browser.findElements(By.cssSelector("#tokens tbody tr")).stream()
                    .anyMatch(tr -> tr.getText().contains("ui-artist") && tr.getText().contains("valid")));
            shot("5c-token");
            browser.findElement(By.cssSelector("#tokens tbody tr button")).sendKeys(Keys.ENTER);
            await(By.id("confirm-ok")).click();
            awaitTrue("the revoked token", () -> browser.findElements(By.cssSelector("#tokens tbody tr")).stream()
                    .anyMatch(tr -> tr.getText().contains("ui-artist") && tr.getText().contains("revoked")));
            assertThat(admin().get(BASE + "/sessions/{s}/tokens", SESSION).then().extract().jsonPath()
                    .getList("state", String.class)).containsExactly("revoked");

            browser.findElement(By.id("logout")).click();
            await(By.id("login-view"));
            assertThat(browser.findElement(By.id("login-error")).getText()).isEqualTo("Logged out.");
            shot("6-logged-out");

            assertEveryRequestStayedOnTheServer();
        } finally {
            admin().queryParam("force", true).queryParam("purge", true).delete(BASE + "/sessions/{s}", SESSION);
            List<String> bans = admin().get(BASE + "/bans").then().extract().jsonPath()
                    .getList("findAll { it.user == 'ui-host' }.id", String.class);
            bans.forEach(id -> admin().delete(BASE + "/bans/{id}", id));
        }
    }

    private static void getNodes(TestClient joiner, List<String> uuids) {
        for (String uuid : uuids) {
            joiner.send("ui-joiner", "RepSnapshotCommand", map("STATE", "GET", "ID", uuid));
            joiner.awaitBlock(b -> b.uuid().equals(uuid), WAIT);
        }
    }

    /** From Chromium's own network log: no request left the server (air-gapped studios). */
    private void assertEveryRequestStayedOnTheServer() {
        String origin = root.getProtocol() + "://" + root.getHost() + ":" + root.getPort() + "/";
        List<String> urls = new ArrayList<>();
        for (LogEntry entry : browser.manage().logs().get(LogType.PERFORMANCE)) {
            JsonObject message = Json.createReader(new java.io.StringReader(entry.getMessage())).readObject()
                    .getJsonObject("message");
            if ("Network.requestWillBeSent".equals(message.getString("method"))) {
                urls.add(message.getJsonObject("params").getJsonObject("request").getString("url"));
            }
        }
        assertThat(urls).as("requests the page made").isNotEmpty()
                .anyMatch(u -> u.endsWith("/admin/admin.js")).anyMatch(u -> u.contains("/admin/api/sessions/"))
                .allMatch(u -> u.startsWith(origin) || u.startsWith("data:") || u.startsWith("blob:"));
    }
}
