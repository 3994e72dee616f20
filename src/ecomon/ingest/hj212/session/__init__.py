"""HJ 212 session layer: what the gateway does beyond answering packets. Device keys (SM4, sealed at rest, rotated
on schedule: `rotation`), access passwords changed in step with the device (1072: `credentials`), split-packet
reassembly, clock calibration, gap detection and re-send requests, remote commands and device state.
Pure rules live in `framing`, `reassembly`, `clock`, `gaps` and `requests`; `store`, `keys` and `credentials` do the
I/O."""
