"""Merkle trees over the readings (domain/dmrv/merkle.py): RFC 6962's reference vectors,
every audit path verifies, and any change to a reading, a path or the root is found."""

from __future__ import annotations

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from jcredit.domain.dmrv.merkle import SiteDay
from jcredit.domain.dmrv.merkle import audit_path
from jcredit.domain.dmrv.merkle import check_proof
from jcredit.domain.dmrv.merkle import leaf_hash
from jcredit.domain.dmrv.merkle import period_root
from jcredit.domain.dmrv.merkle import proof
from jcredit.domain.dmrv.merkle import root_from_path
from jcredit.domain.dmrv.merkle import root_of

# RFC 6962's reference tree (certificate-transparency: merkle_tree_test / Go's
# merkle/rfc6962 tests): the leaves and the root of the first n of them
LEAVES = [b"", b"\x00", b"\x10", b"\x20\x21", b"\x30\x31", b"\x40\x41\x42\x43",
          bytes(range(0x50, 0x58)), bytes(range(0x60, 0x70))]
ROOTS = ["e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
         "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
         "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
         "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
         "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
         "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
         "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
         "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"]
# the inclusion proof of the first leaf in the tree of 8
PATH_0_OF_8 = ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
               "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
               "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]


def test_the_rfc_6962_reference_roots_and_inclusion_proof() -> None:
    hashes = [leaf_hash(x) for x in LEAVES]
    assert [root_of(hashes[:n]).hex() for n in range(9)] == ROOTS
    assert [p.hex() for p in audit_path(hashes, 0)] == PATH_0_OF_8
    path = [bytes.fromhex(p) for p in PATH_0_OF_8]
    assert root_from_path(hashes[0], 0, 8, path) == bytes.fromhex(ROOTS[8])
    assert root_from_path(hashes[0], 1, 8, path) != bytes.fromhex(ROOTS[8])
    assert root_from_path(hashes[0], 0, 4, path) is None  # a path too long for 4 leaves
    assert root_from_path(hashes[0], 0, 8, path[:2]) is None


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=8), min_size=1, max_size=70), st.data())
def test_every_leafs_path_leads_to_the_root_and_no_other_leafs(
        items: list[bytes], data: st.DataObject) -> None:
    hashes = [leaf_hash(x) for x in items]
    root = root_of(hashes)
    index = data.draw(st.integers(0, len(items) - 1))
    path = audit_path(hashes, index)
    assert root_from_path(hashes[index], index, len(items), path) == root
    other = leaf_hash(items[index] + b"!")
    assert root_from_path(other, index, len(items), path) != root


def days() -> list[SiteDay]:
    out = []
    for site in ("JCP-000001/HH-0001", "JCP-000001/HH-0002", "JCP-000001/HH-0003"):
        for day, start in (("2026-10-01", 1790780400), ("2026-10-02", 1790866800)):
            out.append(SiteDay(site, day, tuple(
                (site, "PV-1", channel, start + 1800 * i, 1800, 1000 + 300 * i, 300,
                 "measured", "ab" * 32)
                for channel in ("export", "generation") for i in range(4))))
    return out


def test_a_proof_holds_and_any_change_is_named() -> None:
    everything = days()
    root = period_root(everything).hex()
    document = proof(everything, "JCP-000001/HH-0002", "2026-10-02")
    assert document["root"] == root and document["size"] == 6
    assert check_proof(document, root) == []
    assert check_proof(document) == []
    changed = dict(document, readings=[list(r) for r in document["readings"]])
    changed["readings"][3][6] = 301  # one interval's energy, 1 Wh more
    problems = check_proof(changed, root)
    assert any("readings give the site-day root" in p for p in problems)
    assert any("leads to" in p for p in problems)
    assert any("published" in p for p in check_proof(document, "00" * 32))
    moved = dict(document, index=document["index"] - 1)
    assert check_proof(moved, root)
    assert check_proof(dict(document, index=str(document["index"])), root)[0].startswith(
        "not a jcredit Merkle proof")
    assert check_proof({"site": "x"}, root)[0].startswith("not a jcredit Merkle proof")


def test_the_period_root_does_not_depend_on_the_order_given() -> None:
    everything = days()
    assert period_root(everything) == period_root(list(reversed(everything)))
    dropped = everything[:-1]
    assert period_root(dropped) != period_root(everything)
