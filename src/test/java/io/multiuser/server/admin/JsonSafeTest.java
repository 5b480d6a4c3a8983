package io.multiuser.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

class JsonSafeTest {

    @Test
    void pythonValuesBecomeJsonValues() throws Exception {
        Map<Object, Object> nested = new LinkedHashMap<>();
        nested.put(7, "int key");
        nested.put(new Object[] {1, "a"}, "tuple key");
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("color", new Object[] {0.5, 1.0, null});
        metadata.put("avatar", new byte[] {1, 2, 3});
        metadata.put("frames", List.of(1, 2L, new BigInteger("123456789012345678901234567890")));
        metadata.put("nested", nested);
        metadata.put("nan", Double.NaN);
        metadata.put("inf", Double.POSITIVE_INFINITY);
        metadata.put("none", null);
        metadata.put("flag", true);

        Map<String, Object> safe = JsonSafe.map(metadata);

        assertThat(safe.get("color")).isEqualTo(Arrays.asList(0.5, 1.0, null));
        assertThat(safe.get("avatar")).isEqualTo("AQID");
        assertThat(safe.get("nested")).isEqualTo(Map.of("7", "int key", "[1, a]", "tuple key"));
        assertThat(safe.get("nan")).isEqualTo("NaN");
        assertThat(safe.get("inf")).isEqualTo("Infinity");
        assertThat(safe).containsEntry("none", null).containsEntry("flag", true);
        assertThat(new ObjectMapper().writeValueAsString(safe)).isEqualTo("{\"color\":[0.5,1.0,null],"
                + "\"avatar\":\"AQID\",\"frames\":[1,2,123456789012345678901234567890],"
                + "\"nested\":{\"7\":\"int key\",\"[1, a]\":\"tuple key\"},\"nan\":\"NaN\",\"inf\":\"Infinity\","
                + "\"none\":null,\"flag\":true}");
    }
}
