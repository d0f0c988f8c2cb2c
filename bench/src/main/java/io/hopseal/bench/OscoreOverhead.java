package io.hopseal.bench;

import org.eclipse.californium.core.coap.CoAP;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.coap.Response;
import org.eclipse.californium.core.coap.Token;
import org.eclipse.californium.core.network.serialization.UdpDataSerializer;
import org.eclipse.californium.cose.AlgorithmID;
import org.eclipse.californium.elements.util.Bytes;
import org.eclipse.californium.oscore.HashMapCtxDB;
import org.eclipse.californium.oscore.OSCoreCtx;
import org.eclipse.californium.oscore.RequestDecryptor;
import org.eclipse.californium.oscore.RequestEncryptor;
import org.eclipse.californium.oscore.ResponseEncryptor;

/**
 * OSCORE (RFC 8613) per-message overhead, measured with Eclipse Californium's cf-oscore: the same CoAP request
 * (POST to /echo with a payload) and response serialised plain and OSCORE-protected; the difference is what OSCORE
 * adds. Default algorithm AES-CCM-16-64-128 (8-byte tag), 1-byte sender/recipient ids, no ID context.
 */
public final class OscoreOverhead {
    private OscoreOverhead() {
    }

    /** Overhead in bytes of a protected request and response for this payload size. */
    public record Result(int payload, int plainRequest, int protectedRequest, int plainResponse, int protectedResponse) {
        public int requestOverhead() {
            return protectedRequest - plainRequest;
        }

        public int responseOverhead() {
            return protectedResponse - plainResponse;
        }
    }

    public static final String URI = "coap://127.0.0.1:5683";

    public static Result measure(int payloadSize) throws Exception {
        byte[] secret = new byte[16];
        for (int i = 0; i < secret.length; i++) {
            secret[i] = (byte) (i + 1);
        }
        byte[] salt = {(byte) 0x9e, 0x7c, (byte) 0xa9, 0x22, 0x23, 0x78, 0x63, 0x40};
        byte[] clientId = {0x01};
        byte[] serverId = {0x02};
        OSCoreCtx client = new OSCoreCtx(secret, true, AlgorithmID.AES_CCM_16_64_128, clientId, serverId,
                AlgorithmID.HKDF_HMAC_SHA_256, 32, salt, null, 4096);
        OSCoreCtx server = new OSCoreCtx(secret, false, AlgorithmID.AES_CCM_16_64_128, serverId, clientId,
                AlgorithmID.HKDF_HMAC_SHA_256, 32, salt, null, 4096);
        HashMapCtxDB clientDb = new HashMapCtxDB();
        clientDb.addContext(URI, client);
        HashMapCtxDB serverDb = new HashMapCtxDB();
        serverDb.addContext(server);

        byte[] payload = new byte[payloadSize];
        UdpDataSerializer ser = new UdpDataSerializer();
        Token token = Token.fromProvider(new byte[] {0x11, 0x22});

        Request plain = request(payload, token);
        int plainReq = ser.getByteArray(plain).length;
        Request prot = request(payload, token);
        prot.getOptions().setOscore(Bytes.EMPTY);
        prot = RequestEncryptor.encrypt(clientDb, prot);
        byte[] protBytes = ser.getByteArray(prot);
        int protReq = protBytes.length;

        Response plainResp = response(payload, token);
        int plainResponse = ser.getByteArray(plainResp).length;
        // the server decrypts the request (sets up the response context), then protects its response
        Request atServer = (Request) new org.eclipse.californium.core.network.serialization.UdpDataParser()
                .parseMessage(protBytes);
        atServer.setSourceContext(new org.eclipse.californium.elements.AddressEndpointContext(
                new java.net.InetSocketAddress("127.0.0.1", 5683)));
        RequestDecryptor.decrypt(serverDb, atServer, server);
        Response resp = response(payload, token);
        resp.getOptions().setOscore(Bytes.EMPTY);
        resp = ResponseEncryptor.encrypt(serverDb, resp, server, false, false, 0);
        int protResponse = ser.getByteArray(resp).length;
        return new Result(payloadSize, plainReq, protReq, plainResponse, protResponse);
    }

    private static Request request(byte[] payload, Token token) {
        Request r = Request.newPost();
        r.setURI(URI + "/echo");
        r.setToken(token);
        r.setMID(0x1234);
        r.setPayload(payload);
        return r;
    }

    private static Response response(byte[] payload, Token token) {
        Response r = new Response(CoAP.ResponseCode.CHANGED);
        r.setType(CoAP.Type.ACK);
        r.setToken(token);
        r.setMID(0x1234);
        r.setPayload(payload);
        return r;
    }
}
