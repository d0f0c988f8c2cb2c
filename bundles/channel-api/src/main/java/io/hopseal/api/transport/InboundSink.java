package io.hopseal.api.transport;

import org.osgi.annotation.versioning.ProviderType;

import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.SendResult;

/**
 * Where a transport hands what it receives: the router attaches one to every transport it binds. Called on the
 * transport's receiving thread; never throws for a message it cannot deliver (it drops, counts and returns why).
 */
@ProviderType
@FunctionalInterface
public interface InboundSink {
    /**
     * Delivers a received message, its return route already starting with the neighbour's address. The message's
     * payload array is handed over: the transport must not reuse it afterwards, and it must hold this one frame only
     * (a channel opens a frame in place and hands the array on to its receiver as a view; bytes outside the view must
     * be this frame's own, never another message's).
     */
    SendResult deliver(Message message);
}
