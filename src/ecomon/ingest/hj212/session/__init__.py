"""HJ 212 session layer: what the gateway does beyond answering packets. Device keys (SM4, sealed at rest),
split-packet reassembly, clock calibration, gap detection and re-send requests, remote commands and device state.
Pure rules live in `framing`, `reassembly`, `clock`, `gaps` and `requests`; `store` and `keys` do the I/O."""
