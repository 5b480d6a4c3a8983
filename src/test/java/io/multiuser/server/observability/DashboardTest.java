package io.multiuser.server.observability;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;

/** The Grafana dashboard only queries metrics the server really exports. */
@QuarkusTest
class DashboardTest {

    private static final Path DASHBOARD = Path.of("kubernetes/base/grafana/multi-user-server-dashboard.json");
    private static final Pattern METRIC = Pattern.compile("\\bmultiuser_[a-z_]+");

    @Test
    void everyMetricTheDashboardUsesExistsInTheScrape() throws Exception {
        JsonObject dashboard;
        try (Reader reader = Files.newBufferedReader(DASHBOARD)) {
            dashboard = Json.createReader(reader).readObject();
        }
        List<String> expressions = new ArrayList<>();
        collectExpressions(dashboard, expressions);
        Set<String> used = new TreeSet<>();
        for (String expr : expressions) {
            Matcher m = METRIC.matcher(expr);
            while (m.find()) {
                used.add(m.group());
            }
        }
        assertThat(used).as("metrics the dashboard queries").contains("multiuser_users",
                "multiuser_heartbeat_rtt_seconds_bucket", "multiuser_snapshot_duration_seconds_count",
                "multiuser_messages_dropped_total", "multiuser_datablocks_forwarded_bytes_total",
                "multiuser_store_write_seconds_bucket", "multiuser_store_last_flush_seconds",
                "multiuser_session_chain_bytes", "multiuser_session_chain_entries",
                "multiuser_snapshot_download_sent_bytes_total");
        assertThat(Scrape.now().names()).containsAll(used);
    }

    @Test
    void everyPanelFollowsTheSessionVariable() throws Exception {
        JsonObject dashboard;
        try (Reader reader = Files.newBufferedReader(DASHBOARD)) {
            dashboard = Json.createReader(reader).readObject();
        }
        assertThat(dashboard.getJsonObject("templating").getJsonArray("list").stream()
                .map(v -> v.asJsonObject().getString("name")).toList()).contains("job", "session");
        List<String> expressions = new ArrayList<>();
        collectExpressions(dashboard.getJsonArray("panels"), expressions);
        assertThat(expressions).isNotEmpty().allSatisfy(expr -> assertThat(expr).contains("session=~\"$session\""));
        assertThat(expressions).anySatisfy(expr -> assertThat(expr).contains("by (session)"));
    }

    private static void collectExpressions(JsonValue value, List<String> out) {
        if (value instanceof JsonObject object) {
            object.forEach((key, v) -> {
                if ((key.equals("expr") || key.equals("definition")) && v instanceof JsonString s) {
                    out.add(s.getString());
                } else {
                    collectExpressions(v, out);
                }
            });
        } else if (value instanceof JsonArray array) {
            array.forEach(v -> collectExpressions(v, out));
        }
    }
}
