# pki.sh - test certificates with openssl only (EC P-256: fast to make).
# Source it, then:
#   pki_make DIR [CN [EXTRA_SAN...]]
#     DIR/ca.pem ca.key            trusted CA
#     DIR/server.pem server.key    SAN IP:127.0.0.1, DNS:localhost (+ extras,
#                                  e.g. IP:10.231.0.2), serverAuth
#     DIR/client.pem client.key    CN (default host-0001), clientAuth
#     DIR/untrusted.pem .key       same CN, issued by a rogue CA (rogue-ca.pem)
#     DIR/rogue-server.pem .key    server cert (same SANs) from the rogue CA
#     DIR/expired.pem expired.key  same CN, valid 2020-01-01..2020-01-02
#   pki_client DIR NAME CN         another client cert (new serial) from the CA
#   pki_serial FILE                its serial in upper-case hex, as nginx logs it
# Keys are 0600. Existing files in DIR are overwritten.

_pki_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; chmod 600 "$1"; }

_pki_ca() { # dir name subject
  _pki_key "$1/$2.key"
  openssl req -x509 -new -key "$1/$2.key" -sha256 -days 30 -subj "$3" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$1/$2.pem" 2>/dev/null
}

_pki_issue() { # dir name subject ca ext [extra openssl x509 args]
  local d=$1 n=$2 subj=$3 ca=$4 ext=$5; shift 5
  _pki_key "$d/$n.key"
  openssl req -new -key "$d/$n.key" -subj "$subj" -out "$d/$n.csr" 2>/dev/null
  openssl x509 -req -in "$d/$n.csr" -CA "$d/$ca.pem" -CAkey "$d/$ca.key" \
    -set_serial "0x$(openssl rand -hex 8)" -sha256 -days 30 -extfile "$d/$ext" \
    -out "$d/$n.pem" "$@" 2>/dev/null
  rm -f "$d/$n.csr"
}

pki_make() {
  local d=$1 cn=${2:-host-0001}; shift; [ $# -gt 0 ] && shift
  local san="IP:127.0.0.1,DNS:localhost" s
  for s in "$@"; do san="$san,$s"; done
  mkdir -p "$d"
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' \
    "$san" > "$d/ext-server.cnf"
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' \
    > "$d/ext-client.cnf"
  _pki_ca "$d" ca "/O=estel-test/CN=estel test CA"
  _pki_ca "$d" rogue-ca "/O=rogue/CN=rogue CA"
  _pki_issue "$d" server "/O=estel-test/CN=localhost" ca ext-server.cnf
  _pki_issue "$d" rogue-server "/O=rogue/CN=localhost" rogue-ca ext-server.cnf
  _pki_issue "$d" client "/O=estel-test/CN=$cn" ca ext-client.cnf
  _pki_issue "$d" untrusted "/O=estel-test/CN=$cn" rogue-ca ext-client.cnf
  # expired: openssl 3.0's x509 has no -not_before; "openssl ca" takes dates
  _pki_key "$d/expired.key"
  openssl req -new -key "$d/expired.key" -subj "/O=estel-test/CN=$cn" -out "$d/expired.csr" 2>/dev/null
  mkdir -p "$d/ca-db"; : > "$d/ca-db/index.txt"; openssl rand -hex 8 > "$d/ca-db/serial"
  cat > "$d/ca-db/ca.cnf" <<CNF
[ca]
default_ca = test
[test]
database = $d/ca-db/index.txt
serial = $d/ca-db/serial
new_certs_dir = $d/ca-db
default_md = sha256
policy = any
copy_extensions = none
[any]
commonName = supplied
organizationName = optional
[ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
CNF
  openssl ca -batch -config "$d/ca-db/ca.cnf" -cert "$d/ca.pem" -keyfile "$d/ca.key" \
    -startdate 20200101000000Z -enddate 20200102000000Z -extensions ext \
    -in "$d/expired.csr" -out "$d/expired.pem" -notext >/dev/null 2>&1
  rm -f "$d/expired.csr"
  chmod 644 "$d"/*.pem
  openssl verify -CAfile "$d/ca.pem" "$d/server.pem" "$d/client.pem" >/dev/null || return 1
  [ -s "$d/expired.pem" ] || { echo "pki_make: expired cert not made" >&2; return 1; }
}

pki_client() { # dir name cn
  _pki_issue "$1" "$2" "/O=estel-test/CN=$3" ca ext-client.cnf
  chmod 644 "$1/$2.pem"
}

pki_serial() {
  openssl x509 -in "$1" -noout -serial | sed 's/^serial=//' | tr 'a-f' 'A-F'
}
