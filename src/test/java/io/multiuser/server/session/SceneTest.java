package io.multiuser.server.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.multiuser.server.protocol.Delta;
import io.multiuser.server.protocol.Generation;
import io.multiuser.server.protocol.Node;

/** A store or an export of one protocol generation is never served to the other's clients. */
class SceneTest {

    private static final Node TYPED = new Node("a", Node.COMMON, "BlObject", List.of(), new byte[] {1});
    private static final Node UNTYPED = new Node("b", Node.COMMON, "", List.of(), new byte[] {2});
    private static final Delta DELTA = new Delta(List.of(), new byte[] {0x5d}, new byte[] {3});

    @Test
    void aFourPortSceneServesOnlyFourPortSessions() {
        Scene scene = Scene.of(List.of(TYPED));
        assertThat(scene.incompatibleWith(Generation.V01)).isEmpty();
        assertThat(scene.incompatibleWith(Generation.V09)).get().asString().contains("protocol 0.1 nodes");
    }

    @Test
    void aThreePortSceneServesOnlyThreePortSessions() {
        Scene withChain = new Scene(List.of(UNTYPED), Map.of("b", List.of(DELTA)));
        assertThat(withChain.incompatibleWith(Generation.V09)).isEmpty();
        assertThat(withChain.incompatibleWith(Generation.V01)).get().asString().contains("protocol 0.9 scene");
        assertThat(Scene.of(List.of(UNTYPED)).incompatibleWith(Generation.V01)).isPresent();
    }

    @Test
    void anEmptySceneAndAStrayUntypedFourPortNodeAreFine() {
        assertThat(Scene.EMPTY.incompatibleWith(Generation.V01)).isEmpty();
        assertThat(Scene.EMPTY.incompatibleWith(Generation.V09)).isEmpty();
        assertThat(Scene.of(List.of(TYPED, UNTYPED)).incompatibleWith(Generation.V01)).isEmpty();
    }
}
