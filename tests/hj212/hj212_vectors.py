"""Packets quoted by the HJ 212 standards (as transcribed in shared/reference/hj212*.md) for the hj212 tests."""

MN = "010000A8900016F000169DC0"
# HJ 212-2017 Appendix A (the App. A.1 example packet; its prose says 1C08, a typo for 1C80).
S2017_A1 = f"QN=20160801085857223;ST=32;CN=1062;PW=100000;MN={MN};Flag=5;CP=&&RtdInterval=30&&"
# HJ 212-2017 Table C.25 (note the space before LA-Rtd in the standard's own example).
S2017_C25 = f"QN=20160801085857223;ST=23;CN=2011;PW=123456;MN={MN};Flag=5;CP=&&DataTime=20160801085857; LA-Rtd=50.1&&"
# HJ/T 212-2005-style upload (no QN, no Flag, 14-char MN, 17-digit DataTime) from xiaoyao9184's parser tests.
S2005_UPLOAD = ("ST=32;CN=2011;PW=123456;MN=LD130133000015;CP=&&DataTime=20160824003817000;B01-Rtd=36.91;"
                "011-Rtd=231.0,011-Flag=N;060-Rtd=1.803,060-Flag=N&&")
S2017_9011 = f"QN=20231008125115215;ST=22;CN=9011;PW=123456;MN={MN};Flag=4;CP=&&QnRtn=1&&"
# Table C.40 data segment (field-unit log with Chinese free text).
S2017_C40 = (f"QN=20160801085857223;ST=32;CN=3020;PW=123456;MN={MN};Flag=5;"
             "CP=&&DataTime=20100301145000;PolId=w01018;i11001-Info=//清洗管路//&&")
# HJ 212-2025 Appendix A.1.
S2025_A1 = f"QN=20240601085857223;ST=32;CN=1011;PW=123456;MN={MN};Flag=9;CP=&&&&"
S2025_9014 = f"QN=20240601085857223;ST=91;CN=9014;PW=123456;MN={MN};Flag=8;CP=&&&&"

# HJ 212-2025 Appendix A.2 examples 2 and 4: key 16 × 0x30, SM4-ECB, tail < 16 characters left plain.
A2_KEY = b"0" * 16
A2_HEAD = f"QN=20240520210700000;ST=31;CN=2051;PW=123456;MN={MN};Flag=9;CP=&&"
A2_EX2_REGION = ("DataTime=20240520210600;a01011-Min=1.35,a01011-Avg=1.35,a01011-Max=1.35,a01011-Flag=N;"
                 "a01012-Min=9.3,a01012-Avg=9.3,a01012-Max=9.3,a01012-Flag=N;"
                 "a01014-Min=3.20,a01014-Avg=3.211,a01014-Max=3.212,a01014-Flag=N")
A2_EX2_CIPHER = bytes.fromhex(
    "E43E159ACFAB242CB53155FB8B9281A1A242577ABFAED881BE88B72D69FC55ED1A80119FAAC8B3CD33D285CC76F57F2C"
    "A7F88B9573C6647E0F07E24609BD6B63EB20C5B9784F28E71D2F4994FF61D9E1C2B3075592B4D1E09C4D8BB27BE97B55"
    "9E3DA6643781A6F477769DEEB009B10DFFF3426922725D607DC4480F0CAC5F70DB2587B124BCB281592721D6E4BC180A"
    "97E5E111499CBE822E31C8D7761553543AA24207C290997BBDE64F9266BC5F529A172E381C1D898CA1A0D771A914A7B2"
    "D7467C70B94F1D4A7B0350A48DBF8B41")
A2_EX4_REGION = ("DataTime=20240520210600;a01011-Min=1.35,a01011-Avg=1.35,a01011-Max=1.35,a01011-Flag=N;"
                 "a01014-Min=3.20,a01014-Avg=3.20,a01014-Max=3.20,a01014-Flag=N")
A2_EX4_CIPHER = bytes.fromhex(
    "E43E159ACFAB242CB53155FB8B9281A1A242577ABFAED881BE88B72D69FC55ED1A80119FAAC8B3CD33D285CC76F57F2C"
    "A7F88B9573C6647E0F07E24609BD6B63EB20C5B9784F28E71D2F4994FF61D9E13B391A1D2A454B65388D5D9435DBF021"
    "528C7BF9755EF16518710C0CAC0ADEF9C5156CD0A5A17674AC0ED2ABC40023E9EF70128554B82438E91ADCE98A0D03A4")


def frame(segment: str | bytes, crc: str | None = None, length: int | None = None, end: bytes = b"\r\n") -> bytes:
    """`##LLLL` + segment + CRC + end; CRC and length computed unless given (to build broken frames)."""
    from ecomon.ingest.hj212.codec.crc import crc16_hex

    data = segment.encode("utf-8") if isinstance(segment, str) else segment
    crc = crc16_hex(data) if crc is None else crc
    return b"##%04d" % (len(data) if length is None else length) + data + crc.encode() + end
