import { defineAttackSuite } from '../core/runner/define-attack-suite.ts';

defineAttackSuite('eavesdropping');
