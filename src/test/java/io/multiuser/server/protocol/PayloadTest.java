package io.multiuser.server.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.zip.CRC32;

import org.junit.jupiter.api.Test;

/** A payload is its bytes, whether it owns its array or is a view of a longer frame. */
class PayloadTest {

    private static final byte[] FRAME = {9, 9, 1, 2, 3, 4, 9};

    @Test
    void aViewIsExactlyItsRangeOfTheFrame() throws Exception {
        Payload view = Payload.view(FRAME, 2, 4);

        assertThat(view.length()).isEqualTo(4);
        assertThat(view.toArray()).containsExactly(1, 2, 3, 4);
        ByteBuffer buffer = view.buffer();
        assertThat(buffer.position()).isZero();
        assertThat(buffer.remaining()).isEqualTo(4);
        assertThat(buffer.get(0)).isEqualTo((byte) 1);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        view.writeTo(out);
        assertThat(out.toByteArray()).containsExactly(1, 2, 3, 4);
        CRC32 viewCrc = new CRC32();
        view.updateChecksum(viewCrc);
        CRC32 arrayCrc = new CRC32();
        arrayCrc.update(new byte[] {1, 2, 3, 4});
        assertThat(viewCrc.getValue()).isEqualTo(arrayCrc.getValue());
    }

    @Test
    void aWholeArrayIsSharedAndAViewIsCopiedOnlyWhenAnArrayIsAskedFor() {
        byte[] bytes = {1, 2, 3, 4};
        assertThat(Payload.of(bytes).toArray()).isSameAs(bytes);
        assertThat(Payload.of(bytes).slack()).isZero();
        Payload view = Payload.view(FRAME, 2, 4);
        assertThat(view.slack()).isEqualTo(3);
        assertThat(view.toArray()).isNotSameAs(FRAME).hasSize(4);
    }

    @Test
    void equalityIsByContentLikePythonBytes() {
        Payload view = Payload.view(FRAME, 2, 4);
        Payload whole = Payload.of(new byte[] {1, 2, 3, 4});

        assertThat(view).isEqualTo(whole).hasSameHashCodeAs(whole);
        assertThat(view).isNotEqualTo(Payload.view(FRAME, 1, 4)).isNotEqualTo(Payload.of(new byte[] {1, 2, 3}));
        assertThat(Payload.view(FRAME, 0, 0)).isEqualTo(Payload.EMPTY);
    }

    @Test
    void trimmingCopiesOnlyAViewThatWouldKeepTooMuchOfItsFrameAlive() {
        Payload view = Payload.view(FRAME, 2, 4);

        assertThat(view.trimmed(3)).isSameAs(view);
        Payload trimmed = view.trimmed(2);
        assertThat(trimmed.slack()).isZero();
        assertThat(trimmed).isEqualTo(view);
    }

    @Test
    void aViewOutsideItsArrayIsRefused() {
        assertThatThrownBy(() -> Payload.view(FRAME, 5, 3)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> Payload.view(FRAME, -1, 2)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    /** A backing over an array, counting the copies it handed out. */
    private static final class ArrayBacking implements Payload.Backing {
        final byte[] bytes;
        int copied;

        ArrayBacking(byte[] bytes) {
            this.bytes = bytes;
        }

        @Override
        public void read(long position, byte[] into, int offset, int length) {
            System.arraycopy(bytes, (int) position, into, offset, length);
        }

        @Override
        public void copiedOut(int length) {
            copied += length;
        }
    }

    @Test
    void aSpilledPayloadKeepsItsIdentityAndReadsItsBytesFromItsBacking() throws Exception {
        byte[] big = new byte[200_000]; // several read chunks
        new java.util.Random(3).nextBytes(big);
        Payload inMemory = Payload.of(big.clone());
        Payload payload = Payload.view(big, 0, big.length);
        byte[] file = new byte[big.length + 10];
        System.arraycopy(big, 0, file, 10, big.length);
        java.util.Arrays.fill(big, (byte) 0); // the bytes must come from the backing from now on
        ArrayBacking backing = new ArrayBacking(file);

        payload.spill(backing, 10);

        assertThat(payload.inMemory()).isFalse();
        assertThat(payload.backing()).isSameAs(backing);
        assertThat(payload.slack()).isZero();
        assertThat(payload.length()).isEqualTo(200_000);
        assertThat(payload.toArray()).isEqualTo(inMemory.toArray());
        assertThat(backing.copied).isEqualTo(200_000);
        assertThat(payload.buffer().remaining()).isEqualTo(200_000);
        assertThat(payload.buffer().get(199_999)).isEqualTo(inMemory.toArray()[199_999]);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        payload.writeTo(out);
        assertThat(out.toByteArray()).isEqualTo(inMemory.toArray());
        CRC32 spilledCrc = new CRC32();
        payload.updateChecksum(spilledCrc);
        CRC32 memoryCrc = new CRC32();
        inMemory.updateChecksum(memoryCrc);
        assertThat(spilledCrc.getValue()).isEqualTo(memoryCrc.getValue());
        assertThat(payload).isEqualTo(inMemory).hasSameHashCodeAs(inMemory);
        assertThat(inMemory).isEqualTo(payload);
        assertThat(payload).hasToString("Payload[200000 bytes, spilled]");
    }

    /** An {@link ArrayBacking} that can also lend its bytes without a copy, as a mapped file does. */
    private static final class LendingBacking implements Payload.Backing {
        final ArrayBacking array;
        boolean lends;

        LendingBacking(byte[] bytes) {
            this.array = new ArrayBacking(bytes);
        }

        @Override
        public void read(long position, byte[] into, int offset, int length) {
            array.read(position, into, offset, length);
        }

        @Override
        public void copiedOut(int length) {
            array.copiedOut(length);
        }

        @Override
        public ByteBuffer mapped(long position, int length) {
            return lends ? ByteBuffer.wrap(array.bytes, (int) position, length).slice().asReadOnlyBuffer() : null;
        }
    }

    @Test
    void aSendTakesASpilledPayloadsBytesWithoutACopyWhereItsBackingLendsThem() {
        byte[] file = {9, 9, 1, 2, 3, 4, 9};
        LendingBacking backing = new LendingBacking(file);
        Payload payload = Payload.of(new byte[] {1, 2, 3, 4});
        payload.spill(backing, 2);

        backing.lends = true;
        ByteBuffer lent = payload.sendBuffer();
        assertThat(lent.remaining()).isEqualTo(4);
        assertThat(lent.get(0)).isEqualTo((byte) 1);
        assertThat(lent.get(3)).isEqualTo((byte) 4);
        assertThat(backing.array.copied).as("no copy was read").isZero();

        backing.lends = false;
        ByteBuffer copy = payload.sendBuffer();
        byte[] bytes = new byte[copy.remaining()];
        copy.get(bytes);
        assertThat(bytes).containsExactly(1, 2, 3, 4);
        assertThat(backing.array.copied).as("a copy, counted as garbage to come").isEqualTo(4);

        Payload view = Payload.view(FRAME, 1, 3);
        ByteBuffer inMemory = view.sendBuffer();
        assertThat(inMemory.hasArray() && inMemory.array() == FRAME).as("a view is sent from its frame").isTrue();
        assertThat(inMemory.remaining()).isEqualTo(3);
    }

    @Test
    void aPayloadInMemoryHasNoBacking() {
        Payload payload = Payload.of(new byte[] {1});
        assertThat(payload.inMemory()).isTrue();
        assertThat(payload.backing()).isNull();
        assertThatThrownBy(() -> payload.spill(null, 0)).isInstanceOf(NullPointerException.class);
    }
}
