package io.multiuser.server.observability;

import static io.restassured.RestAssured.given;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/** One read of /q/metrics in Prometheus text format: series (name{labels}) to value. */
record Scrape(Map<String, Double> series) {

    static Scrape now() {
        String body = given().get("/q/metrics").then().statusCode(200).extract().asString();
        Map<String, Double> series = new HashMap<>();
        for (String line : body.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            series.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
        }
        return new Scrape(series);
    }

    /** The value of one series, e.g. {@code multiuser_logins_total{result="accepted"}}; 0 if absent. */
    double get(String seriesName) {
        return series.getOrDefault(seriesName, 0.0);
    }

    /** How much a series grew since an earlier scrape. */
    double since(Scrape before, String seriesName) {
        return get(seriesName) - before.get(seriesName);
    }

    /** Metric names (without labels) present in the scrape. */
    Set<String> names() {
        return series.keySet().stream().map(s -> s.contains("{") ? s.substring(0, s.indexOf('{')) : s)
                .collect(Collectors.toSet());
    }
}
