package io.multiuser.server.session;

/**
 * How far a joiner's snapshot download has got: catalog nodes and their payload bytes sent, of
 * the catalog's total (its bytes as the scene held them when the catalog was sent).
 */
public record DownloadProgress(int nodesSent, int nodesTotal, long bytesSent, long bytesTotal, long elapsedMillis) {

    /** Bytes still to send, never negative (the scene may have changed since the catalog). */
    public long bytesLeft() {
        return Math.max(0, bytesTotal - bytesSent);
    }
}
