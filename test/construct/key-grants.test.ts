/** CustomKeyStoreKey.grants: aws-cdk-lib's kms.KeyGrants on the key, as kms.Key has it. */
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { CustomKeyStore } from '../../lib';
import { cloudHsmBackend, newStack } from '../fixtures/stacks';

function keyAndRole(): { stack: ReturnType<typeof newStack>; key: ReturnType<CustomKeyStore['addKey']>; role: iam.Role } {
  const stack = newStack();
  const key = new CustomKeyStore(stack, 'Hsm', { customKeyStoreName: 'payments-hsm', backend: cloudHsmBackend(stack) }).addKey('K');
  return { stack, key, role: new iam.Role(stack, 'Admin', { assumedBy: new iam.AccountRootPrincipal() }) };
}

describe('CustomKeyStoreKey.grants', () => {
  test('is a kms.KeyGrants whose admin() (which the grantXxx() methods do not cover) grants kms.Key\'s administrative actions on the key\'s ARN', () => {
    const { stack, key, role } = keyAndRole();
    expect(key.grants).toBeInstanceOf(kms.KeyGrants);
    key.grants.admin(role);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^Admin') }],
      PolicyDocument: { Statement: [{ Action: Match.arrayWith(['kms:Create*', 'kms:Describe*', 'kms:ScheduleKeyDeletion', 'kms:CancelKeyDeletion']), Effect: 'Allow', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^HsmK'), 'Arn'] } }] },
    });
  });

  test('grants.decrypt() and grantDecrypt() give the same template', () => {
    const viaGrants = keyAndRole();
    viaGrants.key.grants.decrypt(viaGrants.role);
    const viaMethod = keyAndRole();
    viaMethod.key.grantDecrypt(viaMethod.role);
    expect(Template.fromStack(viaGrants.stack).toJSON()).toEqual(Template.fromStack(viaMethod.stack).toJSON());
  });
});
