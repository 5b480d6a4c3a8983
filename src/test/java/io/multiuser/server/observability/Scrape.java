package io.multiuser.server.observability;

import static io.restassured.RestAssured.given;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One read of /q/metrics in Prometheus text format: series (name{labels}) to value. The default
 * session's series can also be named without their {@code session="default"} label, as tests of
 * the default session do.
 */
public record Scrape(Map<String, Double> series, Set<String> written) {

    public static Scrape now() {
        String body = given().get("/q/metrics").then().statusCode(200).extract().asString();
        Map<String, Double> series = new HashMap<>();
        Set<String> written = new HashSet<>();
        for (String line : body.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            String name = line.substring(0, space);
            double value = Double.parseDouble(line.substring(space + 1));
            series.put(name, value);
            written.add(name);
            String unlabelled = withoutDefaultSession(name);
            if (!unlabelled.equals(name)) {
                series.put(unlabelled, value);
            }
        }
        return new Scrape(series, written);
    }

    private static String withoutDefaultSession(String name) {
        return name.replace(",session=\"default\"", "").replace("session=\"default\",", "")
                .replace("{session=\"default\"}", "");
    }

    /** The value of one series, e.g. {@code multiuser_logins_total{result="accepted"}}; 0 if absent. */
    public double get(String seriesName) {
        return series.getOrDefault(seriesName, 0.0);
    }

    /** How much a series grew since an earlier scrape. */
    public double since(Scrape before, String seriesName) {
        return get(seriesName) - before.get(seriesName);
    }

    /** Metric names (without labels) present in the scrape. */
    Set<String> names() {
        return series.keySet().stream().map(s -> s.contains("{") ? s.substring(0, s.indexOf('{')) : s)
                .collect(Collectors.toSet());
    }
}
