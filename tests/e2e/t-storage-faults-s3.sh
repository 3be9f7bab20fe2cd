#!/usr/bin/env bash
# The storage fault tests of t-storage-faults.sh against s3:// (moto).
# needs: s3
STORAGE_FAULTS_FILTER='_s3$'
. "$(dirname "$0")/t-storage-faults.sh"
