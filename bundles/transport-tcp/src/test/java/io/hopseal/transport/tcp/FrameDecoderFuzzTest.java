package io.hopseal.transport.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import com.code_intelligence.jazzer.junit.FuzzTest;

import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.transport.Envelope;
import io.hopseal.api.transport.MalformedMessageException;
import io.hopseal.testsupport.FuzzSeeds;
import io.hopseal.testsupport.FuzzTarget;

/**
 * The TCP link framing as a listener reads it from an unauthenticated peer: preamble, then {@code u32 length ‖
 * envelope} frames, in reads of any size.
 *
 * <p>Contract of {@link FrameDecoder}: only {@link FramingException}; once failed, every later call throws the same
 * exception; frames are 1..max bytes and never allocated past the max frame size; the frames decoded are the same
 * whatever the chunking, and re-framed they give back exactly the bytes consumed; nothing is buffered beyond one
 * frame. Each frame then goes to {@link Envelope#decode} as the link does (only {@link MalformedMessageException}).
 *
 * <p>Seeds: {@code FrameDecoderFuzzTestInputs/decode/}, written by {@link #writeSeeds()} from the real encoders.
 */
class FrameDecoderFuzzTest {
    static final FuzzTarget DECODE = FuzzTarget.named("FrameDecoderFuzzTest#decode");
    /** Small, so that the fuzzer reaches the oversize check easily. */
    static final int MAX = 1024;

    @BeforeAll
    static void warmUp() throws Exception {
        FrameDecoderFuzzTest t = new FrameDecoderFuzzTest();
        FuzzTarget.warmUp(() -> seeds().forEach(t::decode), () -> t.decode(new byte[] {'H', 'S', 1, 0, 0, 0, 0, 0}),
                () -> t.decode(new byte[] {'H', 'S', 2}), () -> t.decode(new byte[] {'H', 'S', 1, 0, 0, 0, 9, 0}));
    }

    @AfterAll
    static void report() {
        DECODE.print();
    }

    @FuzzTest
    void decode(byte[] input) {
        long mark = FuzzTarget.allocated();
        FrameDecoder whole = new FrameDecoder(MAX);
        List<byte[]> frames = new ArrayList<>();
        FramingException failure = null;
        try {
            whole.feed(input, 0, input.length, frames::add);
        } catch (FramingException e) {
            failure = e;
        }
        long bound = 2L * input.length + MAX + 16 * 1024;
        if (failure == null) {
            DECODE.accepted(mark, bound);
        } else {
            DECODE.refused(mark, bound);
        }

        // the same frames, in the same order, whatever the reads were
        FrameDecoder chunked = new FrameDecoder(MAX);
        List<byte[]> chunkedFrames = new ArrayList<>();
        FramingException chunkedFailure = null;
        for (int[] c : FuzzTarget.chunks(input)) {
            try {
                chunked.feed(input, c[0], c[1], chunkedFrames::add);
            } catch (FramingException e) {
                chunkedFailure = e;
                break;
            }
            assertThat(chunked.bufferedBytes()).isLessThanOrEqualTo(MAX + TcpFraming.HEADER_LENGTH);
        }
        assertThat(chunkedFrames).usingElementComparator(java.util.Arrays::compare).isEqualTo(frames);
        assertThat(chunkedFailure == null).isEqualTo(failure == null);
        if (failure != null) {
            assertThat(chunkedFailure.reason()).isEqualTo(failure.reason());
            assertThat(whole.failed()).isTrue();
            FramingException first = failure;
            assertThatThrownBy(() -> whole.feed(new byte[] {'H'})).isSameAs(first);
        }

        // re-framed, the frames are exactly the input (after the preamble) up to what is still buffered or refused
        ByteArrayOutputStream again = new ByteArrayOutputStream();
        again.writeBytes(TcpFraming.preamble());
        for (byte[] f : frames) {
            assertThat(f.length).isBetween(1, MAX);
            again.writeBytes(TcpFraming.frame(f));
        }
        byte[] re = again.toByteArray();
        if (frames.isEmpty()) {
            re = new byte[0];
        }
        assertThat(re.length).isLessThanOrEqualTo(input.length);
        assertThat(java.util.Arrays.copyOf(input, re.length)).isEqualTo(re);
        if (failure == null) {
            int rest = input.length - Math.max(re.length, Math.min(input.length, TcpFraming.PREAMBLE_LENGTH));
            // what is left is one incomplete frame: its header bytes (counted until the header is whole) and body
            assertThat(whole.bufferedBytes()).isBetween(Math.max(0, rest - TcpFraming.HEADER_LENGTH), rest);
        }

        // what the link does next with each frame
        for (byte[] f : frames) {
            try {
                Envelope.decode(f);
            } catch (MalformedMessageException e) {
                // counted as drop.malformed by the link
            }
        }
    }

    static List<byte[]> seeds() {
        List<byte[]> out = new ArrayList<>();
        byte[] m1 = new byte[33];
        m1[0] = 0x10;
        byte[] env1 = Envelope.encode(new Message(Route.parse("/service/api"), Route.parse("/service/c7x2qa"), m1));
        byte[] env2 = Envelope.encode(new Message(Route.parse("/tcp/10.0.0.9:5000/secure/api"), Route.EMPTY, new byte[40]));
        ByteArrayOutputStream s = new ByteArrayOutputStream();
        s.writeBytes(TcpFraming.preamble());
        s.writeBytes(TcpFraming.frame(env1));
        out.add(s.toByteArray());
        s.writeBytes(TcpFraming.frame(env2));
        s.writeBytes(TcpFraming.frame(new byte[] {1, 0, 0}));
        out.add(s.toByteArray());
        byte[] partial = s.toByteArray();
        out.add(java.util.Arrays.copyOf(partial, partial.length - 2)); // a frame cut short
        out.add(TcpFraming.preamble());
        byte[] big = new byte[TcpFraming.PREAMBLE_LENGTH + TcpFraming.HEADER_LENGTH + MAX];
        System.arraycopy(TcpFraming.preamble(), 0, big, 0, 4);
        TcpFraming.writeHeader(MAX, big, 4);
        out.add(big);
        return out;
    }

    @Test
    @EnabledIfSystemProperty(named = "fuzz.writeSeeds", matches = "true")
    void writeSeeds() {
        List<byte[]> s = seeds();
        String[] names = {"one-frame", "three-frames", "cut-short", "preamble-only", "largest-frame"};
        for (int i = 0; i < s.size(); i++) {
            FuzzSeeds.write(FrameDecoderFuzzTest.class, "decode", names[i], s.get(i));
        }
    }
}
