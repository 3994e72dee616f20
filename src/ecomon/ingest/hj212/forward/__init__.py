"""Upward forwarding (四级联网 / four-level transmission): the data of selected sites goes on to upper-level
platforms as strictly conforming HJ 212, under the MN/PW each upper platform registered, store-and-forward.

- `relay`: pure: a received data packet → the packet sent upstream;
- `queue`: the PostgreSQL queue the writer fills in the transaction that archives a frame;
- `sender`: one ordered, acknowledged TCP session per target (the `ecomon hj212 forward run` service);
- `targets`: configuration (targets, sites, MN mapping), audited.
"""
