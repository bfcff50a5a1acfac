import { campaignFromProduct, fieldKey, purchaseFieldName, tierGroupName } from '../shared/campaign';
import type { ActivityDeps } from './deps';
import { pickGroup } from '../providers';
import type { CampaignListing } from '../shared/activity-io';

/** A campaign found in EDD, and how much of it exists in MailerLite. */
export function catalogActivities({ providers }: ActivityDeps) {
  return {
    /**
     * Every album campaign EDD's products give (their `YEAR_ARTIST_ALBUM` codes), with whether
     * each one's tier groups and purchase field exist in MailerLite. Reads only.
     */
    async listCampaigns(input: { tiers: string[] }): Promise<CampaignListing[]> {
      const [products, groups, fields] = await Promise.all([
        providers.edd.listAllProducts(),
        providers.mailerlite.listAllGroups(),
        providers.mailerlite.listFields(),
      ]);
      const albums = products.flatMap(({ info }) => {
        const campaign = campaignFromProduct({ title: info.title, createDate: info.create_date });
        return campaign ? [{ campaign, productId: info.id, title: info.title }] : [];
      });
      return albums
        .map((album) => {
          const name = purchaseFieldName(album.campaign);
          return {
            ...album,
            groupsPresent: input.tiers.filter((tier) =>
              pickGroup(groups, tierGroupName(album.campaign, tier)),
            ).length,
            groupsExpected: input.tiers.length,
            purchaseField: fields.some((f) => f.name === name || f.key === fieldKey(name)),
          };
        })
        .sort((a, b) => a.campaign.localeCompare(b.campaign));
    },
  };
}
