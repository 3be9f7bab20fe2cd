#!/usr/bin/env bash
# The read and stall tests of t-storage-faults.sh against s3:// (moto).
# needs: s3
STORAGE_FAULTS_FILTER='^test_(read_faults|stall)_s3$'
. "$(dirname "$0")/t-storage-faults.sh"
