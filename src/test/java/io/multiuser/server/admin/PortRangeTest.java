package io.multiuser.server.admin;

import static io.multiuser.server.admin.AdminApi.BASE;
import static io.multiuser.server.admin.AdminApi.admin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.multiuser.server.testclient.FreePorts;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;

/**
 * {@code multiuser.port-range}: every session's block lies in it, port 0 included, for a session of the
 * configuration as for one created at run time. The range holds 11 ports: the default session's 4, a
 * configured 0.9 session's 3 on port 0, and 4 for one session created at run time.
 */
@QuarkusTest
@TestProfile(PortRangeTest.ElevenPorts.class)
class PortRangeTest {

    static final int FIRST = FreePorts.block(11);

    public static class ElevenPorts implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> config = new HashMap<>(rangeWithSpareOnPortZero(FIRST, FIRST + 10));
            config.put("multiuser.sessions.spare.protocol", "0.9");
            return config;
        }
    }

    /** The default session at the range's first port, and a session 'spare' configured with port 0. */
    static Map<String, String> rangeWithSpareOnPortZero(int first, int last) {
        return Map.of("multiuser.port", String.valueOf(first), "multiuser.port-range", first + "-" + last,
                "multiuser.sessions.spare.port", "0");
    }

    private static ValidatableResponse session(String name) {
        return admin().get(BASE + "/sessions/{s}", name).then().statusCode(200);
    }

    private static ValidatableResponse create(Map<String, Object> body) {
        return admin().contentType(ContentType.JSON).body(body).post(BASE + "/sessions").then();
    }

    @Test
    void portZeroTakesTheFirstFreeBlockOfTheRangeAtStartAndAtRunTime() {
        session("default").body("serving", equalTo(true)).body("ports.commands", equalTo(FIRST));
        // configured with port 0: the block after the default session's, not an ephemeral one
        session("spare").body("serving", equalTo(true)).body("protocol", equalTo("0.9"))
                .body("ports.commands", equalTo(FIRST + 4));
        try {
            create(Map.of("name", "late", "port", 0)).statusCode(201);
            session("late").body("serving", equalTo(true)).body("ports.commands", equalTo(FIRST + 7));

            create(Map.of("name", "too-many", "port", 0)).statusCode(409)
                    .body("message", containsString("no free ports for session 'too-many' in multiuser.port-range="
                            + FIRST + "-" + (FIRST + 10)));
            create(Map.of("name", "outside", "port", FIRST + 20)).statusCode(400)
                    .body("message", containsString("outside the ports this server may use"));
        } finally {
            admin().queryParam("force", true).queryParam("purge", true).delete(BASE + "/sessions/{s}", "late");
        }
        assertThat(admin().get(BASE + "/sessions").then().statusCode(200).extract().jsonPath().getList("name"))
                .containsExactlyInAnyOrder("default", "spare");
    }
}
