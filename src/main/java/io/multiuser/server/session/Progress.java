package io.multiuser.server.session;

import org.jboss.logging.Logger;

/**
 * Progress lines of a snapshot transfer, one per 10 % reached: a big join or upload takes long
 * enough that an operator wants to see it move; small ones would only add noise.
 */
final class Progress {

    /** The session's category: progress reads among the session's other lines. */
    private static final Logger LOG = Logger.getLogger(Session.class);
    /** Transfers with at least this many nodes get progress lines. */
    private static final int MIN_NODES = 100;

    private final String what;
    private final String who;
    private final int total;
    private int lastDecile;

    Progress(String what, String who, int total) {
        this.what = what;
        this.who = who;
        this.total = total;
    }

    /** {@code done} of the total nodes ({@code bytes} in all) are through. */
    void at(int done, long bytes) {
        if (total < MIN_NODES) {
            return;
        }
        int decile = (int) (10L * done / total);
        if (decile > lastDecile && decile < 10) {
            LOG.infof("%s by %s: %d%% (%d of %d nodes, %d bytes)", what, who, decile * 10, done, total, bytes);
            lastDecile = decile;
        }
    }
}
