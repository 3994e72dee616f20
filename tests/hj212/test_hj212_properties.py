"""Properties of the codec: decode(encode(p)) == p for generated packets of every version, and any byte string
gives a packet or an `Hj212Error`, never another exception."""

from hj212_vectors import A2_KEY, frame
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecomon.ingest.hj212.codec import Hj212Error, Packet, Version, build, decode, encode
from ecomon.ingest.hj212.codec.split import reassemble, split

DIGITS = "0123456789"
HEX = "0123456789ABCDEF"
codes = st.text("abwei0123456789", min_size=3, max_size=6).map(lambda s: "a" + s)
suffixes = st.sampled_from(["Rtd", "Min", "Avg", "Max", "Cou", "ZsRtd", "Flag", "EFlag", "Data", "Info", "SN"])
numbers = st.decimals(min_value=-99999, max_value=99999, places=3, allow_nan=False).map(str)
plain_values = st.one_of(numbers, st.sampled_from(["N", "F", "M", "S", "D", "C", "T", "B"]),
                         st.text(HEX, min_size=1, max_size=24))
free_text = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="/&"),
                    min_size=1, max_size=20).map(lambda t: f"//{t}//")
times = st.datetimes().filter(lambda d: d.year >= 1000).map(lambda d: d.strftime("%Y%m%d%H%M%S"))


@st.composite
def cps(draw: st.DrawFn) -> dict[str, str]:
    cp: dict[str, str] = {}
    if draw(st.booleans()):
        cp["DataTime"] = draw(times)
    for _ in range(draw(st.integers(0, 10))):
        key = f"{draw(codes)}-{draw(suffixes)}"
        cp[key] = draw(free_text) if key.endswith("-Info") and draw(st.booleans()) else draw(plain_values)
    for name in draw(st.lists(st.sampled_from(["RtdInterval", "PolId", "QnRtn", "NewSK", "SKCreateTime"]),
                              max_size=3)):
        cp[name] = draw(st.text(DIGITS + "abw", min_size=1, max_size=17))
    return cp


@st.composite
def packets(draw: st.DrawFn) -> Packet:
    version = draw(st.sampled_from(list(Version)))
    qn = draw(st.text(DIGITS, min_size=17, max_size=17)) if version is not Version.HJT212_2005 or draw(
        st.booleans()) else None
    mn = draw(st.text(HEX, min_size=24, max_size=24)) if version is not Version.HJT212_2005 else draw(
        st.text(HEX + "LD", min_size=1, max_size=14))
    pnum = draw(st.none() | st.integers(1, 9999))
    pno = None if pnum is None else draw(st.integers(1, pnum))
    return build(draw(st.text(DIGITS, min_size=4, max_size=4)), draw(cps()), version=version,
                 st=draw(st.text(DIGITS + "AZ", min_size=2, max_size=2)), pw=draw(st.text(DIGITS + "abc", min_size=6,
                                                                                          max_size=6)),
                 mn=mn, qn=qn, reply=draw(st.booleans()), pnum=pnum, pno=pno,
                 resend=version is Version.HJ212_2025 and draw(st.booleans()))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(packets())
def test_decode_of_encode_is_identity(packet: Packet) -> None:
    raw = encode(packet)
    assert decode(raw) == packet
    assert decode(raw, lenient=True).warnings == ()
    assert decode(raw, version=packet.version) == packet


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(packets())
def test_decode_of_encrypted_encode_is_identity(packet: Packet) -> None:
    assert decode(encode(packet, key=A2_KEY), key=A2_KEY) == packet


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(packets(), st.integers(120, 400))
def test_split_then_reassemble_is_identity(packet: Packet, limit: int) -> None:
    whole = Packet({k: v for k, v in packet.header.items() if k not in ("PNUM", "PNO")}, packet.cp, packet.version)
    whole = Packet({**whole.header, "Flag": str(int(whole.header["Flag"]) & ~2)}, whole.cp, whole.version)
    try:
        parts = split(whole, max_segment=limit)
    except Hj212Error:
        return  # one item alone too long for the limit: reported, not mangled
    for part in parts:
        assert len(encode(part)) - 12 <= limit
        assert decode(encode(part)) == part
    assert (reassemble(parts) if len(parts) > 1 else parts[0]) == whole


def _never_crashes(raw: bytes) -> None:
    for lenient in (False, True):
        for key in (None, A2_KEY):
            try:
                result = decode(raw, lenient=lenient, key=key)
            except Hj212Error:
                continue
            assert isinstance(result, Packet)


@settings(max_examples=500)
@given(st.binary(max_size=300))
def test_any_bytes_give_a_packet_or_an_hj212_error(raw: bytes) -> None:
    _never_crashes(raw)


@settings(max_examples=500)
@given(packets(), st.lists(st.tuples(st.integers(0, 2000), st.binary(max_size=3)), min_size=1, max_size=4))
def test_mutated_frames_give_a_packet_or_an_hj212_error(packet: Packet, edits: list[tuple[int, bytes]]) -> None:
    raw = bytearray(encode(packet))
    for position, replacement in edits:
        at = position % (len(raw) + 1)
        raw[at:at + len(replacement)] = replacement
    _never_crashes(bytes(raw))


@settings(max_examples=300)
@given(st.text(max_size=200))
def test_any_well_framed_text_gives_a_packet_or_an_hj212_error(segment: str) -> None:
    _never_crashes(frame(segment))
    _never_crashes(frame("QN=20160801085857223;ST=32;CN=2011;PW=123456;MN=A;Flag=5;CP=&&" + segment + "&&"))
