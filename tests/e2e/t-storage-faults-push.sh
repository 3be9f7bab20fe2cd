#!/usr/bin/env bash
# The push tests of t-storage-faults.sh (a damaging or failing storage behind
# git pantheon push and the pre-push hook), against file:// and s3:// (moto).
# needs: s3
STORAGE_FAULTS_FILTER='^test_write_faults_'
. "$(dirname "$0")/t-storage-faults.sh"
