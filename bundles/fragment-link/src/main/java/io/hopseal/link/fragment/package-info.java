/**
 * The fragmentation every small-frame link shares (ZigBee, UDP, MQTT above a broker's size limit): {@link
 * io.hopseal.link.fragment.Fragments} splits an envelope, {@link io.hopseal.link.fragment.Reassembler} puts it back
 * together with bounded memory. A plain sans-I/O library each transport embeds privately (bnd -conditionalpackage),
 * never imported across bundles.
 */
package io.hopseal.link.fragment;
