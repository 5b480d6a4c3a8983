package io.multiuser.server.testclient;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.multiuser.server.persistence.StoreReader;
import io.multiuser.server.protocol.Node;

/** The admin REST API of a {@link ServerProcess}, with HTTP Basic credentials. */
public final class AdminHttp {

    private static final ObjectMapper JSON = new ObjectMapper();
    // Generous: exports of big scenes, and a box shared with other builds.
    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final String base;
    private final String authorization;

    public AdminHttp(int httpPort, String password) {
        this.base = "http://127.0.0.1:" + httpPort + "/admin/api/";
        this.authorization = "Basic " + Base64.getEncoder()
                .encodeToString(("admin:" + password).getBytes(StandardCharsets.UTF_8));
    }

    public HttpResponse<byte[]> get(String path) throws IOException, InterruptedException {
        return http.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    public HttpResponse<byte[]> post(String path, byte[] octets) throws IOException, InterruptedException {
        return http.send(request(path).header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(octets)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** GET as JSON; fails unless 200. */
    public JsonNode json(String path) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = get(path);
        if (r.statusCode() != 200) {
            throw new AssertionError("GET " + path + ": " + r.statusCode() + " " + text(r));
        }
        return JSON.readTree(r.body());
    }

    /** GET session/export; fails unless 200. */
    public byte[] export() throws IOException, InterruptedException {
        HttpResponse<byte[]> r = get("session/export");
        if (r.statusCode() != 200) {
            throw new AssertionError("export: " + r.statusCode() + " " + text(r));
        }
        return r.body();
    }

    public static JsonNode json(HttpResponse<byte[]> response) throws IOException {
        return JSON.readTree(response.body());
    }

    public static String text(HttpResponse<byte[]> response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    /** The scene an export file describes, in file order; fails on a damaged file. */
    public static List<Node> scene(byte[] export) throws IOException {
        StoreReader.Replay replay = StoreReader.read(new ByteArrayInputStream(export));
        if (replay.damage() != null) {
            throw new AssertionError("export file damaged: " + replay.damage());
        }
        return List.copyOf(replay.nodes().values());
    }

    /** One line per node with everything that must survive (payload as its SHA-256), for list comparisons. */
    public static String fingerprint(Node node) {
        return node.uuid() + " " + node.type() + " owner=" + node.owner() + " deps=" + node.dependencies() + " "
                + node.payload().length() + "B " + sha256(node.payload().toArray());
    }

    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(base + path)).timeout(TIMEOUT).header("Authorization", authorization);
    }
}
