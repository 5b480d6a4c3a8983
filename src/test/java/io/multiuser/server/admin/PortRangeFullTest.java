package io.multiuser.server.admin;

import static io.multiuser.server.admin.AdminApi.BASE;
import static io.multiuser.server.admin.AdminApi.admin;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.util.Map;

import org.junit.jupiter.api.Test;

import io.multiuser.server.testclient.FreePorts;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * A configured session on port 0 whose port range has no block left: it does not serve, says why,
 * and the others serve on.
 */
@QuarkusTest
@TestProfile(PortRangeFullTest.RangeOfTheDefaultSession.class)
class PortRangeFullTest {

    static final int FIRST = FreePorts.base();

    public static class RangeOfTheDefaultSession implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return PortRangeTest.rangeWithSpareOnPortZero(FIRST, FIRST + 3);
        }
    }

    @Test
    void aSessionWithNoBlockLeftDoesNotServeAndSaysWhy() {
        admin().get(BASE + "/sessions/{s}", "default").then().statusCode(200).body("serving", equalTo(true));
        admin().get(BASE + "/sessions/{s}", "spare").then().statusCode(200).body("serving", equalTo(false))
                .body("failure", containsString("no free ports for session 'spare' in multiuser.port-range="
                        + FIRST + "-" + (FIRST + 3) + " (every block of 4 ports in it is another session's)"));
    }
}
